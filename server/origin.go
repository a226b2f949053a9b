package server

import (
	"net"
	"net/http"
	"strings"

	"github.com/baktainer/baktainer/config"
)

// guardBrowsers keeps other web sites a user's browser visits from using the
// agent's HTTP server (the dashboard's run-now button posts to the API):
//
//   - A cross-origin request that changes something (POST) is refused, by
//     net/http's CrossOriginProtection (Sec-Fetch-Site, else Origin against
//     Host). With BT_API_TOKEN set, the bearer header alone already stops such a
//     request: a page on another origin cannot send it without a preflight the
//     server never grants.
//   - Without BT_API_TOKEN, a request from a browser (one with an Origin or
//     Sec-Fetch-Site header) must name the agent by IP address or "localhost".
//     A host name could be an attacker's, pointed at 127.0.0.1 after the page
//     loaded (DNS rebinding), which makes its requests look same-origin.
//
// Clients that are not browsers (curl, Prometheus, `baktainer backup --via`)
// send neither header and are not affected.
func guardBrowsers(cfg config.Server, h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused: the agent's API takes changes only from its own pages or from non-browser clients")
	}))
	guarded := cop.Handler(h)
	if cfg.APIToken != "" {
		return guarded
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fromBrowser := r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != ""
		if fromBrowser && !literalHost(r.Host) {
			writeError(w, http.StatusForbidden, "without BT_API_TOKEN, browsers may reach the agent only by IP address or localhost "+
				"(a host name could be rebound to this machine by another site); set BT_API_TOKEN to use a host name")
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// literalHost reports whether a Host header names an IP address or localhost.
func literalHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}
