package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Lookup {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.BackupDir != "/backups", c.StateDir != "/backups/.baktainer", c.Schedule != "0 0 * * *",
		c.Threads != 4, c.BackupTimeout != time.Hour, c.Compression != "zstd",
		!c.Server.Enabled, c.Server.Addr() != "127.0.0.1:8080", c.Notify.OnSuccess, !c.Notify.OnFailure,
		!c.Notify.OnWarning, c.Location != time.Local, c.Encryption.Enabled(), c.Retention.MaxCount != 0:
		t.Errorf("defaults = %+v", c)
	}
	if c.Source("BT_THREADS") != "default" {
		t.Errorf("source = %q", c.Source("BT_THREADS"))
	}
}

func TestValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"BT_BACKUP_DIR": "/srv/b", "BT_CRON": "@every 2s", "TZ": "Europe/Berlin", "BT_THREADS": "8",
		"BT_BACKUP_TIMEOUT": "90", "BT_SELECTOR": "a=b, c", "BT_RETENTION_DAYS": "7", "BT_RETENTION_COUNT": "3",
		"BT_NOTIFY_SUCCESS": "yes", "BT_HEALTH_PORT": "0", "BT_COMPRESSION": "gzip",
		"BT_WEBHOOK_URL": "http://127.0.0.1:9/hook", "BT_NOTIFICATION_URLS": "generic://127.0.0.1:9/x?template=json,logger://",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != "/srv/b/.baktainer" || c.Location.String() != "Europe/Berlin" || c.Threads != 8 ||
		c.BackupTimeout != 90*time.Second || strings.Join(c.Selectors, "|") != "a=b|c" ||
		c.Retention.MaxAge != 7*24*time.Hour || c.Retention.MaxCount != 3 || !c.Notify.OnSuccess ||
		c.Server.Port != 0 || c.Compression != "gzip" || len(c.Notify.URLs) != 2 {
		t.Errorf("config = %+v", c)
	}
}

func TestScheduleWithItsOwnZone(t *testing.T) {
	if _, err := Load(env(map[string]string{"BT_CRON": "CRON_TZ=Asia/Tokyo 30 2 * * *"})); err != nil {
		t.Error(err)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	secret := "hunter2-hunter2-hunter2"
	_, err := Load(env(map[string]string{
		"BT_CRON": "every day", "BT_THREADS": "zero", "TZ": "Mars/Olympus", "BT_BACKUP_TIMEOUT": "soon",
		"BT_HEALTH_SERVER_ENABLED": "maybe", "BT_SELECTOR": "=x", "BT_BACKUP_DIR": "relative",
		"BT_SLACK_WEBHOOK_URL": "https://example.com/" + secret, "BT_NOTIFICATION_URLS": "nosuchservice://" + secret,
		"BT_API_TOKEN": "short", "BT_LOG_LEVEL": "loud", "BT_ENCRYPTION_RECIPIENTS": "age1notakey",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, v := range []string{"BT_CRON", "BT_THREADS", "TZ", "BT_BACKUP_TIMEOUT", "BT_HEALTH_SERVER_ENABLED", "BT_SELECTOR",
		"BT_BACKUP_DIR", "BT_SLACK_WEBHOOK_URL", "BT_NOTIFICATION_URLS", "BT_API_TOKEN", "BT_LOG_LEVEL", "BT_ENCRYPTION_RECIPIENTS"} {
		if !strings.Contains(err.Error(), v+":") {
			t.Errorf("no error names %s:\n%v", v, err)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("an error repeats a secret:\n%v", err)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("errors are not *config.Error")
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	token := "tok-0123456789abcdef-SECRET"
	c, err := Load(env(map[string]string{
		"BT_API_TOKEN": token, "BT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
		"BT_WEBHOOK_URL": "https://user:pw-SECRET@hooks.example.com/p/SECRET?k=SECRET", "BT_ENCRYPTION_PASSPHRASE": "pass-SECRET",
		"BT_DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/123456/SECRETtoken",
		"BT_S3_ENDPOINT":         "s3.example.com", "BT_S3_BUCKET": "backups", "BT_S3_ACCESS_KEY": "AKIA-SECRET-ID", "BT_S3_SECRET_KEY": "s3-SECRET-key",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := c.Print(&out); err != nil {
		t.Fatal(err)
	}
	// "-SECRET" and "SECRETtoken": BT_S3_SECRET_KEY's own name holds "SECRET".
	for _, s := range []string{"-SECRET", "SECRETtoken", "XXXXXXXX", "pw-"} {
		if strings.Contains(out.String(), s) {
			t.Errorf("config check shows %q:\n%s", s, out.String())
		}
	}
	for _, want := range []string{"BT_API_TOKEN=********", "BT_SLACK_WEBHOOK_URL=https://hooks.slack.com/********", "BT_ENCRYPTION_PASSPHRASE=********", "BT_THREADS=4",
		"BT_S3_ACCESS_KEY=********", "BT_S3_SECRET_KEY=********"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config check lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEncryptionRecipients(t *testing.T) {
	c, err := Load(env(map[string]string{"BT_ENCRYPTION_RECIPIENTS": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Encryption.Enabled() || c.Encryption.Mode != "x25519" || len(c.Encryption.Fingerprints) != 1 {
		t.Errorf("encryption = %+v", c.Encryption)
	}
	if _, err := Load(env(map[string]string{"BT_ENCRYPTION_RECIPIENTS": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
		"BT_ENCRYPTION_PASSPHRASE": "x"})); err == nil || !strings.Contains(err.Error(), "BT_ENCRYPTION_PASSPHRASE") || !strings.Contains(err.Error(), "BT_ENCRYPTION_RECIPIENTS") {
		t.Errorf("recipients + passphrase: %v", err)
	}
}
