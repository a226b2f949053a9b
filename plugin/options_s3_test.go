package plugin

import (
	"context"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/offsite"
)

// The s3.* options: a bucket and a prefix checked as BT_S3_BUCKET and
// BT_S3_PREFIX are, a remote retention read as the other retention options;
// credentials are refused with the reason, never stored.
func TestS3Options(t *testing.T) {
	for _, tc := range []struct {
		raw     map[string]string
		problem string // "" when accepted
	}{
		{map[string]string{OptS3Bucket: "team-a-backups", OptS3Prefix: "/prod/db/", OptS3RetentionCount: "30"}, ""},
		{map[string]string{OptS3RetentionDays: "365", OptS3RetentionMonthly: "24"}, ""},
		{map[string]string{OptS3Bucket: "Team_A"}, "option s3.bucket=\"Team_A\""},
		{map[string]string{OptS3Prefix: "a/../b"}, "option s3.prefix=\"a/../b\""},
		{map[string]string{OptS3Prefix: "/"}, "empty"},
		{map[string]string{OptS3RetentionCount: "-1"}, "option s3.retention.count"},
		{map[string]string{"s3.secret_key": "wJalrXUtnFEMI"}, "the S3 credentials are plugin settings"},
		{map[string]string{"s3.access-key": "AKIA"}, "never volume options"},
		{map[string]string{"s3.endpoint": "x"}, "is not a baktainer volume option"},
	} {
		o, err := ParseOptions(tc.raw)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%v: %v", tc.raw, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%v: err = %v, want %q", tc.raw, err, tc.problem)
		case err != nil && strings.Contains(err.Error(), "wJalrXUtnFEMI"):
			t.Errorf("the error repeats a credential: %v", err)
		case tc.problem == "" && !o.HasS3():
			t.Errorf("%v: HasS3 false", tc.raw)
		}
	}
	o, err := ParseOptions(map[string]string{OptS3Bucket: "team-a-backups", OptS3Prefix: "/prod/db/", OptS3RetentionCount: "30"})
	if err != nil || o.S3Bucket != "team-a-backups" || o.S3Prefix != "prod/db" || *o.S3Retention.Count != 30 {
		t.Errorf("parsed: %+v, %v", o, err)
	}
}

// A volume's copies go to the plugin's server with the volume's bucket and
// prefix; one Remote per place. A volume that asks for copies while the plugin
// has no S3 settings gets an Offsite whose every copy fails, saying why.
func TestRemotesPerVolume(t *testing.T) {
	base := offsite.Settings{Endpoint: "s3.example.com", Bucket: "all", AccessKey: "AKIAEXAMPLE", SecretKey: "secret-key-1"}
	r := NewRemotes(base, nil)
	def := r.For("pg", Options{})
	other := r.For("crm", Options{S3Bucket: "team-b", S3Prefix: "crm"})
	if def == nil || other == nil || def.String() != "https://s3.example.com/all" || other.String() != "https://s3.example.com/team-b/crm" {
		t.Fatalf("remotes: %v, %v", def, other)
	}
	if again := r.For("pg2", Options{}); again != def {
		t.Error("a second volume of the same place got another Remote")
	}
	off := NewRemotes(offsite.Settings{}, nil)
	if got := off.For("pg", Options{}); got != nil {
		t.Errorf("copies off, a plain volume: %v", got)
	}
	broken := off.For("crm", Options{S3Bucket: "team-b"})
	if broken == nil {
		t.Fatal("a volume asking for copies without the plugin's settings got none")
	}
	if _, err := broken.Upload(context.Background(), "/x"); err == nil || !strings.Contains(err.Error(), "volume crm asks for off-host copies") {
		t.Errorf("its upload: %v", err)
	}
}
