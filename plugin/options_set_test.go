package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docker/go-plugins-helpers/volume"
)

// Creating a volume that exists with other options fails naming each option
// that differs, and says how to change them (issue 17.4).
func TestCreateWithOtherOptionsNamesThem(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "vol", Options: map[string]string{"retention.days": "7", "retention.count": "3"}}, nil)
	msg := r.call("Create", volume.CreateRequest{Name: "vol", Options: map[string]string{
		"retention.days": "8", "retention.count": "3", "remove-archives": "true"}}, nil)
	for _, want := range []string{
		"volume vol exists with other options",
		"remove-archives=true (the volume has it unset)",
		"retention.days=8 (the volume has 7)",
		"baktainer volume set vol KEY=VALUE",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Create with other options: %q, want it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "retention.count") {
		t.Errorf("Create with other options names an option that does not differ: %q", msg)
	}
}

// SetOptions changes a volume's options: KEY=VALUE sets, KEY= unsets; the whole
// result is validated first (nothing changes when any is wrong), survives a
// restart, and the consumers option cannot change while the volume is mounted.
func TestSetOptions(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.ok("Create", volume.CreateRequest{Name: "vol", Options: map[string]string{"retention.days": "7", "retention.count": "3"}}, nil)

	info, changed, err := r.vols.SetOptions(ctx, "vol", map[string]string{"retention.days": "", "retention.count": "1", "remove-archives": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(changed, ", ") != "remove-archives=true (was unset), retention.count=1 (was 3), retention.days unset (was 7)" {
		t.Errorf("changed = %q", changed)
	}
	if info.Options.Retention.Days != nil || *info.Options.Retention.Count != 1 || !info.Options.RemoveArchives {
		t.Errorf("options after set: %+v", info.Options)
	}
	for _, tc := range []struct {
		name    string
		changes map[string]string
		want    error
		msg     string
	}{
		{"vol", map[string]string{"retention.count": "x", "retention.daily": "2"}, ErrInvalid, "option retention.count"},
		{"vol", map[string]string{"size": "1G"}, ErrInvalid, "option size is not a baktainer volume option"},
		{"vol", nil, ErrInvalid, "no option to set"},
		{"nope", map[string]string{"retention.count": "1"}, ErrNotFound, "volume nope"},
	} {
		if _, _, err := r.vols.SetOptions(ctx, tc.name, tc.changes); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("SetOptions(%s, %v) = %v, want %v with %q", tc.name, tc.changes, err, tc.want, tc.msg)
		}
	}
	r.serve() // a restart
	v := r.get("vol")
	if opts, _ := v.Status["options"].(map[string]any); len(opts) != 2 || opts["retention.count"] != "1" || opts["remove-archives"] != "true" {
		t.Errorf("options after a restart: %v", v.Status["options"])
	}
	_, _, err = r.vols.SetOptions(ctx, "vol", map[string]string{"retention.count": "1"})
	if err != nil {
		t.Errorf("setting an option to the value it has: %v", err)
	}

	r.ok("Mount", volume.MountRequest{Name: "vol", ID: "c1"}, nil)
	if _, _, err := r.vols.SetOptions(ctx, "vol", map[string]string{"consumers": "rw"}); !errors.Is(err, ErrInUse) {
		t.Errorf("changing consumers while mounted: %v", err)
	}
}

func TestOptionsAPI(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "vol", Options: map[string]string{"retention.count": "3"}}, nil)
	mux := http.NewServeMux()
	mux.Handle(OptionsRoute, r.vols.OptionsHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	patch := func(name, body string) (int, OptionsAnswer) {
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/volumes/"+name+"/options", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a OptionsAnswer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, a
	}
	if code, a := patch("vol", `{"retention.count":"1","consumers":"rw"}`); code != 200 || a.Options["consumers"] != "rw" ||
		strings.Join(a.Changed, ", ") != "consumers=rw (was unset), retention.count=1 (was 3)" {
		t.Errorf("PATCH = %d %+v", code, a)
	}
	for _, tc := range []struct {
		name, body string
		code       int
		msg        string
	}{
		{"vol", `{"retention.count":"-1"}`, 400, "option retention.count"},
		{"vol", `["retention.count=1"]`, 400, "a JSON object of option names"},
		{"nope", `{"retention.count":"1"}`, 404, "no such backup volume"},
		{"vol", `{"recipients":"` + strings.Repeat("x", maxOptionsBody) + `"}`, 413, "bytes of options"},
	} {
		if code, a := patch(tc.name, tc.body); code != tc.code || !strings.Contains(a.Error, tc.msg) {
			t.Errorf("PATCH %s %.40s = %d %q, want %d %q", tc.name, tc.body, code, a.Error, tc.code, tc.msg)
		}
	}
}

// Containers see a volume read-only unless it was created with consumers=rw
// (issue 11.3): the driver binds it so, also when it binds again at start.
func TestConsumersMountReadOnlyUnlessRW(t *testing.T) {
	r := newRig(t)
	r.ok("Create", volume.CreateRequest{Name: "ro"}, nil)
	r.ok("Create", volume.CreateRequest{Name: "rw", Options: map[string]string{"consumers": "rw"}}, nil)
	r.fails("Create", volume.CreateRequest{Name: "bad", Options: map[string]string{"consumers": "yes"}}, `option consumers ="yes": must be ro or rw`)
	for _, name := range []string{"ro", "rw"} {
		r.ok("Mount", volume.MountRequest{Name: name, ID: "c1"}, nil)
	}
	check := func(when string) {
		t.Helper()
		if !r.mounter.readOnly[r.mnt+"/ro"] || r.mounter.readOnly[r.mnt+"/rw"] {
			t.Errorf("%s: read-only binds %v, want ro only", when, r.mounter.readOnly)
		}
	}
	check("after mount")
	r.mounter = newFakeMounter()
	r.serve()
	check("bound again after a restart")
}
