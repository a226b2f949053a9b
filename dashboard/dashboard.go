// Package dashboard serves the agent's web page: every target with its last and
// next backup, outcome, size, and the trend of sizes and durations, failures
// first, with a button to back a target up now. It is rendered on the server with
// html/template from embedded templates and assets (no CDN: it works offline) and
// refreshes itself.
//
// With BT_API_TOKEN set, the page itself (GET /) is a shell without data: the
// user enters the token, the page keeps it in sessionStorage and sends it as a
// bearer header to fetch the server-rendered content (GET /dashboard/targets) and
// to post run-now requests (POST /api/v1/backups). The token is never put in a
// page.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/version"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// Source is what the dashboard shows; *agent.Agent is one.
type Source interface {
	Status(ctx context.Context) agent.Status
	Health(ctx context.Context) agent.Health
	RecentAttempts(name string, limit int) []agent.Attempt
}

var _ Source = (*agent.Agent)(nil)

// RefreshInterval is how often an open page reloads its content.
const RefreshInterval = 10 * time.Second

// trendLength is how many successful backups a trend shows.
const trendLength = 20

// Dashboard renders the page and its content.
type Dashboard struct {
	src           Source
	tokenRequired bool
	tmpl          *template.Template
	assets        http.Handler
}

// New makes a dashboard of src. tokenRequired says whether the API needs
// BT_API_TOKEN: then the page carries no data of its own. Package server serves
// its handlers: ServePage and ServeAsset publicly, ServeContent behind the token.
func New(src Source, tokenRequired bool) (*Dashboard, error) {
	tmpl, err := template.New("dashboard").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard templates: %w", err)
	}
	sub, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		return nil, err
	}
	return &Dashboard{src: src, tokenRequired: tokenRequired, tmpl: tmpl,
		assets: http.StripPrefix("/assets/", http.FileServerFS(sub))}, nil
}

// pageView is what the page template gets.
type pageView struct {
	TokenRequired  bool
	RefreshSeconds int
	Version        string
	Content        *contentView // nil when the token is required
}

// ServePage renders the page: with its content inline when no token is required,
// else the shell that asks for the token.
func (d *Dashboard) ServePage(w http.ResponseWriter, r *http.Request) {
	v := pageView{TokenRequired: d.tokenRequired, RefreshSeconds: int(RefreshInterval.Seconds()), Version: version.Version}
	if !d.tokenRequired {
		c := d.content(r.Context())
		v.Content = &c
	}
	d.render(w, "page", v)
}

// ServeContent renders the page's content alone, for the page's refreshes.
func (d *Dashboard) ServeContent(w http.ResponseWriter, r *http.Request) {
	d.render(w, "content", d.content(r.Context()))
}

// ServeAsset serves the embedded stylesheet, script and icon.
func (d *Dashboard) ServeAsset(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	w.Header().Set("Cache-Control", "no-cache")
	d.assets.ServeHTTP(w, r)
}

func (d *Dashboard) render(w http.ResponseWriter, name string, v any) {
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		http.Error(w, "dashboard: "+err.Error(), http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// securityHeaders allow only the agent's own scripts, styles and requests: no
// inline script, nothing from elsewhere, no framing.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
