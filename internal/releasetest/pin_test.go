package releasetest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// pinScript is the script the release workflow and the rehearsal call,
// relative to the repository's root.
const pinScript = ".github/release/pin-image.sh"

var digest = "sha256:" + strings.Repeat("0123456789abcdef", 4)

// repoPath is a path in the repository, from this package's directory.
func repoPath(name string) string { return filepath.Join("..", "..", filepath.FromSlash(name)) }

func readRepo(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runPin runs the pin script on a copy of content and returns the exit
// status, what it printed and the copy as it is afterwards.
func runPin(t *testing.T, ref string, content []byte) (code int, out string, after []byte) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "action.yml")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(repoPath(pinScript))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "bash", script, ref, file)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %s: %v", pinScript, err)
	}
	after, err = os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*.pin.*")); len(leftovers) > 0 {
		t.Errorf("the script left temporary files behind: %v", leftovers)
	}
	return code, string(b), after
}

// decode parses YAML into plain values for comparison.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("parse YAML: %v\n%s", err, b)
	}
	return v
}

// TestPinImage: the script turns the repository's action.yml into the
// release's: runs.image names the image by digest, and nothing else in the
// file changes, byte for byte.
func TestPinImage(t *testing.T) {
	t.Parallel()
	orig := readRepo(t, "action.yml")
	for _, ref := range []string{
		"ghcr.io/hook-redeliver/hook-redeliver@" + digest,
		"ghcr.io/some-owner/some.repo_name@" + digest,
		"127.0.0.1:40123/hook-redeliver/hook-redeliver@" + digest,
		"localhost:5000/hook-redeliver@" + digest,
	} {
		t.Run(ref, func(t *testing.T) {
			t.Parallel()
			code, out, after := runPin(t, ref, orig)
			if code != 0 {
				t.Fatalf("exit %d, want 0:\n%s", code, out)
			}
			want := "docker://" + ref

			// The YAML: runs.image is the reference, the rest as it was.
			got, wantDoc := decode(t, after), decode(t, orig)
			runs, _ := wantDoc["runs"].(map[string]any)
			if runs == nil {
				t.Fatal("action.yml has no runs mapping")
			}
			runs["image"] = want
			if diff := cmp.Diff(wantDoc, got); diff != "" {
				t.Errorf("pinned action.yml (-want +got):\n%s", diff)
			}

			// The text: exactly one line changed.
			before, now := strings.Split(string(orig), "\n"), strings.Split(string(after), "\n")
			if len(before) != len(now) {
				t.Fatalf("%d lines before, %d after", len(before), len(now))
			}
			var changed []string
			for i := range before {
				if before[i] != now[i] {
					changed = append(changed, now[i])
				}
			}
			if diff := cmp.Diff([]string{"  image: '" + want + "'"}, changed); diff != "" {
				t.Errorf("changed lines (-want +got):\n%s", diff)
			}
			if !strings.Contains(out, want) {
				t.Errorf("the script does not say what it pinned:\n%s", out)
			}
		})
	}
}

// TestPinImageRefusesReferences: anything but a fully qualified reference
// pinned by a sha256 digest is refused with exit status 2, and the file is
// left alone.
func TestPinImageRefusesReferences(t *testing.T) {
	t.Parallel()
	orig := readRepo(t, "action.yml")
	hex := strings.TrimPrefix(digest, "sha256:")
	for name, ref := range map[string]string{
		"a tag":                   "ghcr.io/hook-redeliver/hook-redeliver:v1.2.3",
		"a tag and a digest":      "ghcr.io/hook-redeliver/hook-redeliver:v1.2.3@" + digest,
		"no registry":             "hook-redeliver/hook-redeliver@" + digest,
		"no registry or owner":    "hook-redeliver@" + digest,
		"docker:// given":         "docker://ghcr.io/hook-redeliver/hook-redeliver@" + digest,
		"capitals in the name":    "ghcr.io/Hook-Redeliver/hook-redeliver@" + digest,
		"a short digest":          "ghcr.io/hook-redeliver/hook-redeliver@" + digest[:len(digest)-1],
		"a long digest":           "ghcr.io/hook-redeliver/hook-redeliver@" + digest + "0",
		"capitals in the digest":  "ghcr.io/hook-redeliver/hook-redeliver@sha256:" + strings.ToUpper(hex),
		"sha512":                  "ghcr.io/hook-redeliver/hook-redeliver@sha512:" + hex + hex,
		"a trailing newline":      "ghcr.io/hook-redeliver/hook-redeliver@" + digest + "\n",
		"a quote and a comment":   "ghcr.io/hook-redeliver/hook-redeliver@" + digest + "' # x",
		"a space":                 "ghcr.io/hook-redeliver/hook-redeliver @" + digest,
		"no name":                 "ghcr.io@" + digest,
		"empty":                   "",
		"an empty path component": "ghcr.io//hook-redeliver@" + digest,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, after := runPin(t, ref, orig)
			if code != 2 {
				t.Errorf("exit %d, want 2:\n%s", code, out)
			}
			if !bytes.Equal(after, orig) {
				t.Errorf("the script changed the file although it refused the reference")
			}
		})
	}
}

// TestPinImageRefusesFiles: a file without exactly one image: Dockerfile
// line under runs: is refused with exit status 1 and left alone; so is one
// pinned already, which makes the script safe to run only once.
func TestPinImageRefusesFiles(t *testing.T) {
	t.Parallel()
	orig := string(readRepo(t, "action.yml"))
	const line = "  image: Dockerfile\n"
	if strings.Count(orig, line) != 1 {
		t.Fatalf("action.yml must have one %q line", line)
	}
	ref := "ghcr.io/hook-redeliver/hook-redeliver@" + digest
	_, _, pinned := runPin(t, ref, []byte(orig))
	for name, content := range map[string]string{
		"pinned already":       string(pinned),
		"no image line":        strings.Replace(orig, line, "", 1),
		"another image":        strings.Replace(orig, line, "  image: docker://alpine:3\n", 1),
		"two image lines":      strings.Replace(orig, line, line+line, 1),
		"image outside runs":   strings.Replace(orig, "branding:\n", "branding:\n"+line, 1),
		"only outside runs":    strings.Replace(strings.Replace(orig, line, "", 1), "branding:\n", "branding:\n"+line, 1),
		"a quoted second line": strings.Replace(orig, line, line+"  image: \"Dockerfile\"\n", 1),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if content == orig {
				t.Fatal("the variant is the original; the test's edit found nothing to change")
			}
			code, out, after := runPin(t, ref, []byte(content))
			if code != 1 {
				t.Errorf("exit %d, want 1:\n%s", code, out)
			}
			if string(after) != content {
				t.Errorf("the script changed a file it refused")
			}
		})
	}
	t.Run("no such file", func(t *testing.T) {
		t.Parallel()
		script, _ := filepath.Abs(repoPath(pinScript))
		err := exec.CommandContext(t.Context(), "bash", script, ref, filepath.Join(t.TempDir(), "action.yml")).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("got %v, want exit status 2", err)
		}
	})
}
