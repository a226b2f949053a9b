package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
)

func buildSinks(s Settings) ([]Sink, error) {
	var sinks []Sink
	var errs []error
	for i, raw := range s.URLs {
		sink, err := newShoutrrrSink(fmt.Sprintf("notification URL %d of %d", i+1, len(s.URLs)), raw, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sinks = append(sinks, sink)
	}
	for _, w := range []struct {
		what, raw string
		convert   func(string) (string, error)
	}{{"Slack webhook", s.Slack, SlackURL}, {"Discord webhook", s.Discord, DiscordURL}, {"Teams webhook", s.Teams, TeamsURL}} {
		if w.raw == "" {
			continue
		}
		serviceURL, err := w.convert(w.raw)
		if err == nil {
			var sink Sink
			if sink, err = newShoutrrrSink(w.what, serviceURL, s); err == nil {
				sinks = append(sinks, sink)
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", w.what, err))
	}
	if s.Webhook != "" {
		if _, err := CheckWebhookURL(s.Webhook); err != nil {
			errs = append(errs, fmt.Errorf("webhook: %w", err))
		} else {
			sinks = append(sinks, &webhookSink{url: s.Webhook, client: &http.Client{}})
		}
	}
	return sinks, errors.Join(errs...)
}

// shoutrrrSink sends through one shoutrrr service.
type shoutrrrSink struct {
	what   string
	scheme string
	router *router.ServiceRouter
}

func newShoutrrrSink(what, raw string, s Settings) (*shoutrrrSink, error) {
	r, err := router.New(nil, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not accepted by shoutrrr: %s", what, ScrubURLs(err.Error()))
	}
	if s.Timeout > 0 {
		r.Timeout = s.Timeout
	}
	scheme, _, _ := strings.Cut(raw, ":")
	return &shoutrrrSink{what: what, scheme: scheme, router: r}, nil
}

func (s *shoutrrrSink) Describe() string { return s.what + " (" + s.scheme + ")" }

// Send implements Sink. shoutrrr has no context; its router gives up at its own
// timeout, set to the same value.
func (s *shoutrrrSink) Send(_ context.Context, e Event) error {
	params := types.Params{}
	params.SetTitle(e.Title())
	return errors.Join(s.router.Send(e.Message, &params)...)
}

// webhookSink POSTs each event as JSON, the original BT_WEBHOOK_URL behaviour.
type webhookSink struct {
	url    string
	client *http.Client
}

func (w *webhookSink) Describe() string { return "BT_WEBHOOK_URL" }

// Send implements Sink.
func (w *webhookSink) Send(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "baktainer")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// CheckWebhookURL checks a generic webhook URL; it returns it unchanged.
func CheckWebhookURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("must be an http:// or https:// URL")
	}
	return raw, nil
}

// CheckServiceURL checks that shoutrrr accepts a service URL. The error never
// repeats the URL.
func CheckServiceURL(raw string) error {
	if _, err := router.New(nil, raw); err != nil {
		return fmt.Errorf("not a shoutrrr service URL shoutrrr accepts: %s", ScrubURLs(err.Error()))
	}
	return nil
}
