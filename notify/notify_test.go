package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestWebhookConversions(t *testing.T) {
	tests := []struct {
		name    string
		convert func(string) (string, error)
		in      string
		want    string // "" expects an error
	}{
		{"slack", SlackURL, "https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF/abcdefghijklmnopqrstuvwx", "slack://hook:T01ABCDEF-B01ABCDEF-abcdefghijklmnopqrstuvwx@webhook"},
		{"slack wrong host", SlackURL, "https://example.com/services/T01ABCDEF/B01ABCDEF/abcdefghijklmnopqrstuvwx", ""},
		{"slack short path", SlackURL, "https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF", ""},
		{"discord", DiscordURL, "https://discord.com/api/webhooks/123456789/tok-EN_x", "discord://tok-EN_x@123456789"},
		{"discordapp", DiscordURL, "https://discordapp.com/api/webhooks/123456789/tok", "discord://tok@123456789"},
		{"discord http", DiscordURL, "http://discord.com/api/webhooks/1/t", ""},
		{"teams", TeamsURL, "https://contoso.webhook.office.com/webhookb2/11111111-4444-4444-8444-cccccccccccc@22222222-4444-4444-8444-cccccccccccc/IncomingWebhook/33333333012222222222333333333344/44444444-4444-4444-8444-cccccccccccc/V2ESyij_gAljSoUQHvZoZYzlpAoAXExyOl26dlf1xHEx05",
			"teams://11111111-4444-4444-8444-cccccccccccc@22222222-4444-4444-8444-cccccccccccc/33333333012222222222333333333344/44444444-4444-4444-8444-cccccccccccc/V2ESyij_gAljSoUQHvZoZYzlpAoAXExyOl26dlf1xHEx05?host=contoso.webhook.office.com"},
		{"teams legacy", TeamsURL, "https://outlook.office.com/webhook/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.convert(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				if strings.Contains(err.Error(), tt.in) {
					t.Errorf("error repeats the URL: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if err := CheckServiceURL(got); err != nil {
				t.Errorf("shoutrrr rejects the converted URL: %v", err)
			}
		})
	}
}

func TestSplitURLs(t *testing.T) {
	got := SplitURLs(" generic://a/x?k=1,2  logger://,slack://hook:A,B,C@webhook\ngeneric://b ")
	want := []string{"generic://a/x?k=1,2", "logger://", "slack://hook:A,B,C@webhook", "generic://b"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestScrubURLs(t *testing.T) {
	in := `Post "https://hooks.example.com/T/B/secret": dial tcp: refused; generic://u:p@h/x`
	if got := ScrubURLs(in); strings.Contains(got, "secret") || strings.Contains(got, "u:p") {
		t.Errorf("ScrubURLs = %q", got)
	}
}

type hangingSink struct{ calls chan struct{} }

func (hangingSink) Describe() string { return "hanging" }
func (s hangingSink) Send(ctx context.Context, _ Event) error {
	s.calls <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// A sink that hangs never blocks Notify, and is given up on at the timeout.
func TestNotifyNeverBlocks(t *testing.T) {
	var received []Event
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e Event
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &e)
		mu.Lock()
		received = append(received, e)
		mu.Unlock()
	}))
	defer srv.Close()
	hang := hangingSink{calls: make(chan struct{}, 1000)}
	n, err := New(Settings{Webhook: srv.URL, OnFailure: true, Timeout: 200 * time.Millisecond}, logrus.NewEntry(logrus.New()), hang)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go n.Run(ctx)
	start := time.Now()
	for i := 0; i < 2000; i++ { // more than the queue holds: the rest is dropped, not waited for
		n.Notify(Event{Kind: BackupFailed, Name: "db"})
	}
	n.Notify(Event{Kind: BackupSucceeded, Name: "db"}) // not wanted: filtered
	if d := time.Since(start); d > time.Second {
		t.Errorf("Notify blocked for %s", d)
	}
	<-hang.calls
	time.Sleep(500 * time.Millisecond)
	cancel()
	<-n.Done()
	mu.Lock()
	defer mu.Unlock()
	if len(received) == 0 || received[0].Kind != BackupFailed || received[0].Host == "" {
		t.Errorf("webhook received %d events, first %+v", len(received), received)
	}
	for _, e := range received {
		if e.Kind != BackupFailed {
			t.Errorf("unwanted event %s sent", e.Kind)
		}
	}
}
