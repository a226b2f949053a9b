//go:build integration

package integration

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/baktainer/baktainer/integration/rig"
)

// storeKeys are the key files the interop tests encrypt to and decrypt with.
type storeKeys struct {
	keygenID, keygenRecipient string // from `baktainer keygen`
	ageID, ageRecipient       string // from the stock age-keygen
	sshID, sshRecipientsFile  string // an ed25519 SSH key pair
}

func makeStoreKeys(t *testing.T, dir string) storeKeys {
	t.Helper()
	var k storeKeys
	k.keygenID = filepath.Join(dir, "baktainer-key.txt")
	k.keygenRecipient = strings.TrimSpace(storeMustCLI(t, nil, nil, "keygen", "--output", k.keygenID))
	if !strings.HasPrefix(k.keygenRecipient, "age1") {
		t.Fatalf("keygen printed %q, want an age recipient", k.keygenRecipient)
	}
	if raw, _ := os.ReadFile(k.keygenID); !bytes.Contains(raw, []byte("# public key: "+k.keygenRecipient)) {
		t.Fatalf("identity file lacks its public key line:\n%s", raw)
	}

	k.ageID = filepath.Join(dir, "age-key.txt")
	rig.Run(t, nil, rig.Tool(t, "age-keygen"), "-o", k.ageID)
	k.ageRecipient = strings.TrimSpace(string(rig.Run(t, nil, rig.Tool(t, "age-keygen"), "-y", k.ageID)))

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "ops@example")
	if err != nil {
		t.Fatal(err)
	}
	k.sshID = storeWriteFile(t, dir, "id_ed25519", string(pem.EncodeToMemory(block)))
	sshPub, _ := ssh.NewPublicKey(pub)
	k.sshRecipientsFile = storeWriteFile(t, dir, "recipients.txt",
		"# the ops team's key\n"+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))+" ops@example\n")
	return k
}

// TestStoreStockToolsOpenArchives packs a dump every supported way and opens each
// archive with the stock tools only: `sha256sum -c`, `age -d -i`, `zstd -d`,
// `gzip -d`. It also runs the other direction: what the stock tools make,
// baktainer opens.
func TestStoreStockToolsOpenArchives(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	keys := makeStoreKeys(t, work)
	dump := append(storeSQLDump(t, 11, 3<<20), storePGFooter...)
	age, zstd, gzip := rig.Tool(t, "age"), rig.Tool(t, "zstd"), rig.Tool(t, "gzip")
	rig.Tool(t, "sha256sum")

	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		wantExt string
		open    string // a shell pipeline reading $ARCHIVE with stock tools only
		idFlag  []string
	}{
		{"zstd, keygen key", []string{"--recipient", keys.keygenRecipient}, nil, ".sql.zst.age",
			age + ` -d -i "$KEY" "$ARCHIVE" | ` + zstd + ` -dc`, []string{"--identity", keys.keygenID}},
		{"gzip, age-keygen key", []string{"--compress", "gzip", "--recipient", keys.ageRecipient}, nil, ".sql.gz.age",
			age + ` -d -i "$AGEKEY" "$ARCHIVE" | ` + gzip + ` -dc`, []string{"--identity", keys.ageID}},
		{"zstd, ssh key from a recipients file", []string{"--recipients-file", keys.sshRecipientsFile}, nil, ".sql.zst.age",
			age + ` -d -i "$SSHKEY" "$ARCHIVE" | ` + zstd + ` -dc`, []string{"--identity", keys.sshID}},
		{"none, two recipients", []string{"--compress", "none", "--recipient", keys.ageRecipient, "--recipient", keys.keygenRecipient}, nil, ".sql.age",
			age + ` -d -i "$KEY" "$ARCHIVE"`, []string{"--identity", keys.keygenID}},
		{"zstd, recipients from the environment", nil, []string{"BT_ENCRYPTION_RECIPIENTS=" + keys.ageRecipient + "," + keys.keygenRecipient}, ".sql.zst.age",
			age + ` -d -i "$AGEKEY" "$ARCHIVE" | ` + zstd + ` -dc`, []string{"--identity", keys.ageID}},
		{"zstd, plain", nil, nil, ".sql.zst", zstd + ` -dc "$ARCHIVE"`, nil},
		{"gzip, plain", []string{"--compress", "gzip"}, nil, ".sql.gz", gzip + ` -dc "$ARCHIVE"`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"archive", "pack", "--dir", dir, "--name", "shop", "--ext", "sql", "--engine", "postgres"}, tc.args...)
			archive := strings.TrimSpace(storeMustCLI(t, bytes.NewReader(dump), tc.env, args...))
			if !strings.HasSuffix(archive, tc.wantExt) || !strings.HasPrefix(archive, filepath.Join(dir, "shop")+"/") {
				t.Fatalf("archive %s, want DIR/shop/<day>/shop-<time>%s", archive, tc.wantExt)
			}
			// sha256sum -c, run where the sidecar is, as a user would.
			check := exec.Command("sha256sum", "-c", filepath.Base(archive)+".sha256")
			check.Dir = filepath.Dir(archive)
			if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), ": OK") {
				t.Fatalf("sha256sum -c: %v\n%s", err, out)
			}
			got := storeRunPipeline(t, tc.open, "ARCHIVE="+archive, "KEY="+keys.keygenID, "AGEKEY="+keys.ageID, "SSHKEY="+keys.sshID)
			if !bytes.Equal(got, dump) {
				t.Fatalf("stock tools gave %d bytes, want the %d packed", len(got), len(dump))
			}
			// And baktainer itself reads it back, deep-verifies it.
			unpacked := storeMustCLI(t, nil, nil, append([]string{"archive", "unpack", archive}, tc.idFlag...)...)
			if unpacked != string(dump) {
				t.Fatalf("archive unpack gave %d bytes, want %d", len(unpacked), len(dump))
			}
			storeMustCLI(t, nil, nil, append([]string{"verify", "--deep", archive}, tc.idFlag...)...)
		})
	}

	t.Run("made by stock tools, opened by baktainer", func(t *testing.T) {
		dir := t.TempDir()
		archive := filepath.Join(dir, "shop.sql.zst.age")
		in := storeWriteFile(t, dir, "dump.sql", string(dump))
		storeRunPipeline(t, zstd+` -3 -c "$IN" | `+age+` -r "$R" > "$OUT"`, "IN="+in, "R="+keys.keygenRecipient, "OUT="+archive)
		res := storeCLI(t, nil, nil, "archive", "unpack", archive, "--identity", keys.keygenID)
		if res.code != 0 || res.stdout != string(dump) {
			t.Fatalf("unpack: exit %d, %d bytes; %s", res.code, len(res.stdout), res.stderr)
		}
		if !strings.Contains(res.stderr, "no checksum sidecar") {
			t.Errorf("unpacking without a sidecar should say so; stderr: %s", res.stderr)
		}
	})
}

// storeRunPipeline runs a bash pipeline with pipefail and extra environment variables
// (paths, never secrets, go in the environment) and returns its output.
func storeRunPipeline(t *testing.T, script string, env ...string) []byte {
	t.Helper()
	cmd := exec.Command("bash", "-o", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	return out
}

// TestStorePassphraseInteropWithStockAge checks passphrase archives both ways. The
// age CLI reads a passphrase only from a terminal, so it runs under `script`, which
// gives it a pseudo-terminal fed from standard input: the passphrase never appears
// in a command line.
func TestStorePassphraseInteropWithStockAge(t *testing.T) {
	t.Parallel()
	age, zstd, script := rig.Tool(t, "age"), rig.Tool(t, "zstd"), rig.Tool(t, "script")
	dir := t.TempDir()
	dump := storeSQLDump(t, 12, 1<<20)
	const passphrase = "correct horse battery staple"
	passFile := storeWriteFile(t, dir, "passphrase", passphrase+"\n")

	for _, how := range []struct {
		name string
		args []string
		env  []string
	}{
		{"flag", []string{"--passphrase-file", passFile}, nil},
		{"environment", nil, []string{"BT_ENCRYPTION_PASSPHRASE_FILE=" + passFile}},
	} {
		t.Run("baktainer encrypts, age -d decrypts, "+how.name, func(t *testing.T) {
			root := t.TempDir()
			archive := strings.TrimSpace(storeMustCLI(t, bytes.NewReader(dump), how.env,
				append([]string{"archive", "pack", "--dir", root, "--name", "shop", "--ext", "sql"}, how.args...)...))
			if raw, _ := os.ReadFile(archive + ".json"); bytes.Contains(raw, []byte(passphrase)) || !bytes.Contains(raw, []byte(`"mode": "passphrase"`)) {
				t.Fatalf("metadata:\n%s", raw)
			}
			plain := filepath.Join(root, "out.zst")
			cmd := exec.Command(script, "-qec", age+" -d -o "+plain+" "+archive, "/dev/null")
			cmd.Stdin = strings.NewReader(passphrase + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("age -d under script: %v\n%s", err, out)
			}
			if got := rig.Run(t, nil, zstd, "-dc", plain); !bytes.Equal(got, dump) {
				t.Fatalf("age -d | zstd -d gave %d bytes, want %d", len(got), len(dump))
			}
		})
	}

	t.Run("age -p encrypts, baktainer decrypts", func(t *testing.T) {
		compressed := filepath.Join(dir, "dump.zst")
		in := storeWriteFile(t, dir, "dump.sql", string(dump))
		storeRunPipeline(t, zstd+` -3 -c "$IN" > "$OUT"`, "IN="+in, "OUT="+compressed)
		archive := filepath.Join(dir, "shop.sql.zst.age")
		cmd := exec.Command(script, "-qec", age+" -p -o "+archive+" "+compressed, "/dev/null")
		cmd.Stdin = strings.NewReader(passphrase + "\n" + passphrase + "\n") // and confirm
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("age -p under script: %v\n%s", err, out)
		}
		res := storeCLI(t, nil, nil, "archive", "unpack", archive, "--passphrase-file", passFile)
		if res.code != 0 || res.stdout != string(dump) {
			t.Fatalf("unpack: exit %d, %d bytes; %s", res.code, len(res.stdout), res.stderr)
		}
		wrong := storeWriteFile(t, dir, "wrong", "not the passphrase\n")
		res = storeCLI(t, nil, nil, "archive", "unpack", archive, "--passphrase-file", wrong)
		if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "the passphrase is wrong") {
			t.Fatalf("wrong passphrase: exit %d, %d bytes out; %s", res.code, len(res.stdout), res.stderr)
		}
	})
}
