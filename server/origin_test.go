package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baktainer/baktainer/config"
)

func TestGuardBrowsers(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tc := range []struct {
		name    string
		token   string
		method  string
		host    string
		headers map[string]string
		want    int
	}{
		{"curl, no token, host name", "", "POST", "baktainer:8080", nil, 204},
		{"browser same-origin by IP", "", "POST", "127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, 204},
		{"browser by localhost", "", "GET", "localhost:8080", map[string]string{"Sec-Fetch-Site": "none"}, 204},
		{"browser by IPv6", "", "POST", "[::1]:8080", map[string]string{"Origin": "http://[::1]:8080", "Sec-Fetch-Site": "same-origin"}, 204},
		{"rebound host name, no token", "", "POST", "evil.example:8080", map[string]string{"Origin": "http://evil.example:8080", "Sec-Fetch-Site": "same-origin"}, 403},
		{"rebound host name, reading", "", "GET", "evil.example:8080", map[string]string{"Sec-Fetch-Site": "same-origin"}, 403},
		{"cross-site POST, no token", "", "POST", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site POST, token", "0123456789abcdef", "POST", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site POST, old browser (Origin only)", "", "POST", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example"}, 403},
		{"host name with a token", "0123456789abcdef", "POST", "backups.example.com", map[string]string{"Origin": "https://backups.example.com", "Sec-Fetch-Site": "same-origin"}, 204},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := guardBrowsers(config.Server{APIToken: tc.token}, ok)
			r := httptest.NewRequest(tc.method, "http://"+tc.host+"/api/v1/backups", strings.NewReader("{}"))
			r.Host = tc.host
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("HTTP %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
}
