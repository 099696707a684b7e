package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// The command line's tests run runCLIWith as main would, with a map for the
// environment, against a fake GitHub on a virtual clock.

// The command line's world is the action's test harness: the same fake
// GitHub (an App, an organization webhook acme/77, a repository webhook
// acme/shop/88, a token that may do everything), key and clock.
var cliStart = start

const (
	cliAppID = appID
	cliToken = fullToken
	// cliSecret stands for a damaged credential: it must never be echoed.
	cliSecret = "sekrit-value-do-not-print-7f3a"
)

func cliPEM() string { return keyPEM(testKey()) }

type cliWorld struct{ *harness }

func newCLIWorld(t *testing.T, prefix string) *cliWorld {
	t.Helper()
	return &cliWorld{newHarness(t, prefix, fakegithub.Faults{})}
}

// seed gives hook a success, a failure in the first run's 24 hours, and a
// failure older than that.
func (w *cliWorld) seed(hook fakegithub.HookRef) {
	w.add(hook, "too-old", 30*60, false, false)
	w.add(hook, "ok", 300, false, true)
	w.add(hook, "failed", 100, false, false)
}

// write puts a file in the world's directory and returns its path.
func (w *cliWorld) write(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs the command line once. d.Clock defaults to the world's clock.
func (w *cliWorld) run(ctx context.Context, args []string, env map[string]string, d run.Deps) cliResult {
	w.t.Helper()
	if d.Clock == nil {
		d.Clock = w.clock
	}
	var out, errb bytes.Buffer
	// stdout is a buffer, not a terminal: as under cron or systemd.
	code := exitCode(runCLIWith(ctx, args, func(k string) string { return env[k] }, &out, &errb, false, d))
	r := cliResult{code: code, stdout: out.String(), stderr: errb.String()}
	// Whatever happened, no credential reaches the terminal.
	keyLine := strings.Split(cliPEM(), "\n")[3]
	for _, s := range []string{cliToken, cliSecret, keyLine} {
		if strings.Contains(r.stdout+r.stderr, s) {
			w.t.Errorf("the output shows a secret (%.12s…):\n%s", s, r)
		}
	}
	return r
}

// readCheckpoint reads a checkpoint file and checks its format.
func readCheckpoint(t *testing.T, path string) (string, checkpoint.State) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("checkpoint file: %v", err)
	}
	// The first line is the checkpoint, as the scripts' variable holds it;
	// a second line, when GUIDs are in play, the ledger.
	first, _, _ := strings.Cut(string(b), "\n")
	st, err := checkpoint.Parse(first)
	if err != nil {
		t.Fatalf("checkpoint file %q: %v", b, err)
	}
	return first, st
}

var epochMS = regexp.MustCompile(`^[0-9]{13}$`)

func TestCLIFlagsEnvAndFiles(t *testing.T) {
	t.Parallel()
	org, repo, app := fakegithub.OrgHook("acme", 77), fakegithub.RepoHook("acme", "shop", 88), fakegithub.AppHook()
	tests := []struct {
		name string
		hook fakegithub.HookRef
		// setup returns the arguments, the environment and the checkpoint
		// file the run should write.
		setup func(w *cliWorld) (args []string, env map[string]string, cp string)
	}{
		{"flags with a token file", org, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return []string{"--org", "acme", "--hook-id=77", "--token-file", w.write("token", cliToken+"\n"), "--checkpoint-file", cp, "--api-url", w.fake.URL()}, nil, cp
		}},
		{"environment", org, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return nil, map[string]string{"ORG": "acme", "HOOK_ID": "77", "TOKEN": cliToken, "API_URL": w.fake.URL(), "CHECKPOINT_FILE": cp}, cp
		}},
		{"TOKEN_FILE", repo, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return nil, map[string]string{"REPOSITORY": "acme/shop", "HOOK_ID": "88", "TOKEN_FILE": w.write("token", cliToken), "API_URL": w.fake.URL(), "CHECKPOINT_FILE": cp}, cp
		}},
		{"App webhook with a key file and no token", app, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return []string{"--app-id", strconv.Itoa(cliAppID), "--private-key-file", w.write("app.pem", cliPEM()), "--api-url", w.fake.URL(), "--checkpoint-file", cp}, nil, cp
		}},
		{"PRIVATE_KEY_FILE", app, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return nil, map[string]string{"APP_ID": strconv.Itoa(cliAppID), "PRIVATE_KEY_FILE": w.write("app.pem", cliPEM()), "API_URL": w.fake.URL(), "CHECKPOINT_FILE": cp}, cp
		}},
		{"systemd's STATE_DIRECTORY", org, func(w *cliWorld) ([]string, map[string]string, string) {
			return nil, map[string]string{"ORG": "acme", "HOOK_ID": "77", "TOKEN": cliToken, "API_URL": w.fake.URL(), "STATE_DIRECTORY": w.dir + ":/elsewhere"}, filepath.Join(w.dir, "hook-redeliver-checkpoint")
		}},
		{"a flag wins over its variable, a variable over the scripts' name", org, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return []string{"--hook-id", "77", "--checkpoint-file", cp}, map[string]string{
				"HOOK_ID": "999", "ORG": "acme", "ORGANIZATION_NAME": "not-this-org", "TOKEN": cliToken, "API_URL": w.fake.URL(),
			}, cp
		}},
		{"a key file flag wins over PRIVATE_KEY", app, func(w *cliWorld) ([]string, map[string]string, string) {
			cp := filepath.Join(w.dir, "cp")
			return []string{"--private-key-file", w.write("app.pem", cliPEM()), "--checkpoint-file", cp}, map[string]string{
				"APP_ID": strconv.Itoa(cliAppID), "PRIVATE_KEY": cliSecret, "API_URL": w.fake.URL(),
			}, cp
		}},
	}
	for _, tt := range tests {
		for _, prefix := range []string{"", "/api/v3"} {
			t.Run(tt.name+prefix, func(t *testing.T) {
				t.Parallel()
				w := newCLIWorld(t, prefix)
				w.seed(tt.hook)
				args, env, cp := tt.setup(w)
				r := w.run(t.Context(), args, env, run.Deps{})
				if r.code != exitOK {
					t.Fatalf("%s", r)
				}
				if diff := cmp.Diff(map[string]int{"failed": 1}, w.redelivered()); diff != "" {
					t.Errorf("redeliveries (-want +got):\n%s", diff)
				}
				readCheckpoint(t, cp)
				for _, want := range []string{"redelivered   1", "file " + cp} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("report lacks %q:\n%s", want, r)
					}
				}
				// The lock file stays; nothing else is left next to the
				// checkpoint.
				es, _ := os.ReadDir(filepath.Dir(cp))
				for _, e := range es {
					if strings.Contains(e.Name(), ".tmp") {
						t.Errorf("temporary file %s left behind", e.Name())
					}
				}
				if _, err := os.Stat(cp + ".lock"); err != nil {
					t.Errorf("lock file: %v", err)
				}
			})
		}
	}
}

// A pasted API URL works as --hook-id; stderr says which id was taken.
func TestCLIHookIDFromURL(t *testing.T) {
	t.Parallel()
	w := newCLIWorld(t, "/api/v3")
	w.seed(fakegithub.RepoHook("acme", "shop", 88))
	const pasted = "https://api.github.com/repos/acme/shop/hooks/88/deliveries"
	r := w.run(t.Context(), []string{"--repository", "acme/shop", "--hook-id", pasted, "--checkpoint-file", filepath.Join(w.dir, "cp")},
		map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{})
	if r.code != exitOK || w.redelivered()["failed"] != 1 {
		t.Fatalf("want exit 0 and the failure redelivered; got %s", r)
	}
	if want := "--hook-id: took webhook id 88 (repository acme/shop) from " + pasted + "\n"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
	}
}

// Several hooks get a file each.
func TestCLISeveralHooksFilePerHook(t *testing.T) {
	t.Parallel()
	w := newCLIWorld(t, "/api/v3")
	w.fake.AddHook(fakegithub.OrgHook("acme", 78))
	w.add(fakegithub.OrgHook("acme", 77), "a", 60, false, false)
	w.add(fakegithub.OrgHook("acme", 78), "b", 50, false, false)
	cp := filepath.Join(w.dir, "cp")
	r := w.run(t.Context(), []string{"--org", "acme", "--hook-id", "77,78", "--checkpoint-file", cp},
		map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{})
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	if diff := cmp.Diff(map[string]int{"a": 1, "b": 1}, w.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	readCheckpoint(t, cp+"_77")
	readCheckpoint(t, cp+"_78")
	if _, err := os.Stat(cp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the base file exists (%v); want one file per hook", err)
	}
}

func TestCLIBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{"unknown flag", []string{"--nope"}, nil, "run hook-redeliver --help"},
		{"positional argument", []string{"acme"}, nil, `unexpected argument: "acme"; settings are flags`},
		{"flags but nothing to check", []string{"--dry-run"}, nil, "--app-id / APP_ID: required for the GitHub App's webhook"},
		{"bad number in a flag", []string{"--org", "acme", "--hook-id", "7", "--max-attempts=many"}, map[string]string{"TOKEN": cliToken}, "--max-attempts: want a whole number"},
		{"bad number in a variable", nil, map[string]string{"ORG": "acme", "HOOK_ID": "7", "TOKEN": cliToken, "MAX_ATTEMPTS": "many"}, "MAX_ATTEMPTS: want a whole number"},
		{"bad duration", []string{"--org", "acme", "--hook-id", "7", "--timeout", "soon"}, map[string]string{"TOKEN": cliToken}, "--timeout: want a duration"},
		{"missing hook id", []string{"--org", "acme"}, map[string]string{"TOKEN": cliToken}, "--hook-id / HOOK_ID: required with org"},
		{"bad org from the scripts' name", nil, map[string]string{"ORGANIZATION_NAME": "bad_login!", "HOOK_ID": "7", "TOKEN": cliToken}, `ORGANIZATION_NAME (read as --org): "bad_login!" is not an organization login`},
		{"half a repository", nil, map[string]string{"REPO_OWNER": "acme", "HOOK_ID": "7", "TOKEN": cliToken}, "REPO_OWNER: set, but not REPO_NAME"},
		{"half a checkpoint repository", nil, map[string]string{"ORG": "acme", "HOOK_ID": "7", "TOKEN": cliToken, "WORKFLOW_REPO": "ops"}, "WORKFLOW_REPO: set, but not WORKFLOW_REPO_OWNER"},
		{"token flag and token file", []string{"--token", cliToken, "--token-file", "/x"}, nil, "--token and --token-file: set one, not both"},
		{"TOKEN and TOKEN_FILE", nil, map[string]string{"ORG": "acme", "HOOK_ID": "7", "TOKEN": cliToken, "TOKEN_FILE": "/x"}, "TOKEN and TOKEN_FILE: set one, not both"},
		{"missing token file", []string{"--org", "acme", "--hook-id", "7", "--token-file", "/no/such/token"}, nil, "--token-file: open /no/such/token: no such file"},
		{"missing key file variable", nil, map[string]string{"APP_ID": "1", "PRIVATE_KEY_FILE": "/no/such/key"}, "PRIVATE_KEY_FILE: open /no/such/key"},
		{"file and variable checkpoint", []string{"--org", "acme", "--hook-id", "7", "--checkpoint-file", "/tmp/x", "--checkpoint-repository", "acme/ops"}, map[string]string{"TOKEN": cliToken}, "--checkpoint-file and --checkpoint-repository: both set"},
		{"file and the scripts' variable", []string{"--org", "acme", "--hook-id", "7"}, map[string]string{"TOKEN": cliToken, "CHECKPOINT_FILE": "/tmp/x", "LAST_REDELIVERY_VARIABLE_NAME": "LAST"}, "CHECKPOINT_FILE and LAST_REDELIVERY_VARIABLE_NAME (read as --checkpoint-variable): both set"},
		{"variable without repository outside a workflow", []string{"--org", "acme", "--hook-id", "7", "--checkpoint-variable", "LAST"}, map[string]string{"TOKEN": cliToken}, "--checkpoint-repository / CHECKPOINT_REPOSITORY: required outside a workflow run"},
		{"short loop", []string{"--loop", "10s"}, nil, "want a duration of at least 1m0s"},
		{"damaged key", nil, map[string]string{"APP_ID": "123", "PRIVATE_KEY": cliSecret}, "PRIVATE_KEY: no PEM block found"},
		{"bad app id", []string{"--app-id", "abc!", "--private-key", cliSecret}, nil, `--app-id: want the App's numeric id (such as 123456) or its client id (Iv1.…), got "abc!"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newCLIWorld(t, "")
			env := map[string]string{"API_URL": w.fake.URL()}
			for k, v := range tt.env {
				env[k] = v
			}
			r := w.run(t.Context(), tt.args, env, run.Deps{})
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("want exit 2 and %q in stderr; got %s", tt.want, r)
			}
			if n := len(w.fake.Requests()); n > 0 {
				t.Errorf("bad input reached GitHub: %d requests", n)
			}
		})
	}
}

func TestCLIBadFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args func(w *cliWorld) []string
		want string
	}{
		{"empty token file", func(w *cliWorld) []string {
			return []string{"--org", "acme", "--hook-id", "77", "--token-file", w.write("token", " \n")}
		}, "--token-file: " + "%DIR%/token is empty"},
		{"damaged key file", func(w *cliWorld) []string {
			return []string{"--app-id", "1", "--private-key-file", w.write("key", cliSecret)}
		}, "--private-key-file: no PEM block found"},
		{"checkpoint file is a directory", func(w *cliWorld) []string {
			return []string{"--org", "acme", "--hook-id", "77", "--token", cliToken, "--checkpoint-file", w.dir}
		}, "--checkpoint-file: %DIR% is a directory"},
		{"checkpoint directory missing", func(w *cliWorld) []string {
			return []string{"--org", "acme", "--hook-id", "77", "--token", cliToken, "--checkpoint-file", filepath.Join(w.dir, "no", "cp")}
		}, "--checkpoint-file: lock checkpoint: open %DIR%/no/cp.lock: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newCLIWorld(t, "")
			r := w.run(t.Context(), tt.args(w), map[string]string{"API_URL": w.fake.URL()}, run.Deps{})
			want := strings.ReplaceAll(tt.want, "%DIR%", w.dir)
			if r.code != exitUsage || !strings.Contains(r.stderr, want) {
				t.Errorf("want exit 2 and %q in stderr; got %s", want, r)
			}
		})
	}
}

func TestCLIRunFailureExits1(t *testing.T) {
	t.Parallel()
	w := newCLIWorld(t, "/api/v3")
	cp := filepath.Join(w.dir, "cp")
	r := w.run(t.Context(), []string{"--org", "acme", "--hook-id", "999", "--checkpoint-file", cp},
		map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{})
	if r.code != exitFailure || !strings.Contains(r.stderr, `organization "acme" or hook 999 not found`) || !strings.Contains(r.stdout, "error: ") {
		t.Errorf("want exit 1 with the error in the report and on stderr; got %s", r)
	}
	if _, err := os.Stat(cp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a checkpoint was written for a hook that could not be read (%v)", err)
	}
}

// The binary run with the env: of the workflow step GitHub's documentation
// gives for each script keeps using the variable that script wrote, and
// writes it back in the same format.
func TestCLIDropInForGitHubsScripts(t *testing.T) {
	t.Parallel()
	const variable = "LAST_REDELIVERY"
	previous := cliStart.Add(-2 * time.Hour)
	variants := []struct {
		name string
		hook fakegithub.HookRef
		env  map[string]string
	}{
		{"App", fakegithub.AppHook(), map[string]string{
			"APP_ID": strconv.Itoa(cliAppID), "PRIVATE_KEY": cliPEM(), "TOKEN": cliToken,
			"LAST_REDELIVERY_VARIABLE_NAME": variable, "WORKFLOW_REPO_NAME": "ops", "WORKFLOW_REPO_OWNER": "acme",
		}},
		{"organization", fakegithub.OrgHook("acme", 77), map[string]string{
			"TOKEN": cliToken, "ORGANIZATION_NAME": "acme", "HOOK_ID": "77",
			"LAST_REDELIVERY_VARIABLE_NAME": variable, "WORKFLOW_REPO_NAME": "ops", "WORKFLOW_REPO_OWNER": "acme",
		}},
		{"repository", fakegithub.RepoHook("acme", "shop", 88), map[string]string{
			"TOKEN": cliToken, "REPO_OWNER": "acme", "REPO_NAME": "shop", "HOOK_ID": "88",
			"LAST_REDELIVERY_VARIABLE_NAME": variable, "WORKFLOW_REPO": "ops", "WORKFLOW_REPO_OWNER": "acme",
		}},
	}
	for _, v := range variants {
		for _, inWorkflow := range []bool{true, false} {
			name := v.name + " on a server"
			if inWorkflow {
				name = v.name + " in a workflow step"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				w := newCLIWorld(t, "/api/v3")
				w.fake.SetVariable("acme", "ops", variable, strconv.FormatInt(previous.UnixMilli(), 10))
				w.add(v.hook, "before-checkpoint", 3*60, false, false)
				w.add(v.hook, "ok", 90, false, true)
				w.add(v.hook, "after-checkpoint", 60, false, false)

				env := map[string]string{}
				for k, val := range v.env {
					env[k] = val
				}
				// A runner's or container's own HOSTNAME is not an
				// Enterprise Server.
				env["HOSTNAME"] = "fv-az123-456"
				summary := filepath.Join(w.dir, "summary")
				if inWorkflow {
					env["GITHUB_ACTIONS"] = "true"
					env["GITHUB_API_URL"] = w.fake.URL()
					env["GITHUB_REPOSITORY"] = "acme/ops"
					env["GITHUB_STEP_SUMMARY"] = w.write("summary", "")
					env["GITHUB_OUTPUT"] = w.write("output", "")
					if actionMode(nil, func(k string) string { return env[k] }) {
						t.Fatal("a workflow step without INPUT_ variables would run as the action")
					}
				} else {
					env["API_URL"] = w.fake.URL()
				}

				r := w.run(t.Context(), nil, env, run.Deps{})
				if r.code != exitOK {
					t.Fatalf("%s", r)
				}
				if diff := cmp.Diff(map[string]int{"after-checkpoint": 1}, w.redelivered()); diff != "" {
					t.Errorf("redeliveries (-want +got); the stored checkpoint should keep the older failure out:\n%s", diff)
				}
				if !strings.Contains(r.stdout, "variable "+variable+" in acme/ops") {
					t.Errorf("the report names another checkpoint store:\n%s", r)
				}
				if !strings.Contains(r.stderr, "LAST_REDELIVERY_VARIABLE_NAME") {
					t.Errorf("the log does not say the scripts' variables were read:\n%s", r.stderr)
				}
				val, ok := w.fake.Variable("acme", "ops", variable)
				if !ok {
					t.Fatal("variable gone")
				}
				if _, err := checkpoint.Parse(val); err != nil {
					t.Errorf("variable after the run: %v", err)
				}
				if inWorkflow {
					if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "Webhook redelivery") {
						t.Errorf("no job summary written:\n%s", b)
					}
				}

				// Next run: nothing to redeliver, and the value is the plain
				// epoch milliseconds the scripts write.
				w.clock.Advance(time.Hour)
				r = w.run(t.Context(), nil, env, run.Deps{})
				if r.code != exitOK {
					t.Fatalf("second run: %s", r)
				}
				if n := len(w.fake.Redeliveries()); n != 1 {
					t.Errorf("second run redelivered again: %d redeliveries in all", n)
				}
				val, _ = w.fake.Variable("acme", "ops", variable)
				if !epochMS.MatchString(val) {
					t.Errorf("variable = %q, want epoch milliseconds as GitHub's scripts write", val)
				}
				if ms, _ := strconv.ParseInt(val, 10, 64); ms <= previous.UnixMilli() {
					t.Errorf("checkpoint %d did not move past %d", ms, previous.UnixMilli())
				}
			})
		}
	}
}

// The API URL from HOSTNAME reaches the config, and our own API_URL wins
// over it.
func TestDropInHostnameReachesConfig(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"TOKEN": cliToken, "ORGANIZATION_NAME": "acme", "HOOK_ID": "77", "LAST_REDELIVERY_VARIABLE_NAME": "LAST",
		"WORKFLOW_REPO_NAME": "ops", "WORKFLOW_REPO_OWNER": "acme", "HOSTNAME": "ghes.example.com",
	}
	for _, tc := range []struct {
		name, apiURL, want string
	}{
		{"HOSTNAME", "", "https://ghes.example.com/api/v3/"},
		{"API_URL wins", "https://other.example.com/api/v3", "https://other.example.com/api/v3/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"API_URL": tc.apiURL}
			for k, v := range base {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			inv, _ := parseCLI(nil, func(k string) string { return env[k] }, &stdout, &stderr)
			cfg, err := inv.config(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			owner, repo := cfg.CheckpointRepo()
			variable := cfg.VariableFor(cfg.Target().For(77))
			if cfg.APIURL != tc.want || !cfg.Enterprise() || owner != "acme" || repo != "ops" || cfg.CheckpointFile() != "" || variable != "LAST" {
				t.Errorf("api %s (enterprise %t), checkpoint %s/%s %s, store %q", cfg.APIURL, cfg.Enterprise(), owner, repo, variable, cfg.CheckpointFile())
			}
		})
	}
}

func TestActionMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"a server", nil, map[string]string{"TOKEN": "x"}, false},
		{"the container action", nil, map[string]string{"GITHUB_ACTIONS": "true", "INPUT_APP-ID": "", "INPUT_TIMEOUT": "50m"}, true},
		{"the binary in a workflow step", nil, map[string]string{"GITHUB_ACTIONS": "true", "TOKEN": "x", "ORGANIZATION_NAME": "acme"}, false},
		{"flags in a workflow step", []string{"--org", "acme"}, map[string]string{"GITHUB_ACTIONS": "true", "INPUT_TIMEOUT": "50m"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := actionMode(tt.args, func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("actionMode = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestCLIJSON(t *testing.T) {
	t.Parallel()
	w := newCLIWorld(t, "/api/v3")
	w.seed(fakegithub.OrgHook("acme", 77))
	cp := filepath.Join(w.dir, "cp")
	r := w.run(t.Context(), []string{"--json", "--org", "acme", "--hook-id", "77", "--checkpoint-file", cp},
		map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{})
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	if strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("want one line of JSON on stdout:\n%s", r.stdout)
	}
	var got struct {
		DryRun bool `json:"dry_run"`
		Totals struct {
			Scanned, Failed, Redelivered int
		} `json:"totals"`
		Hooks []struct {
			Target struct {
				Kind   string `json:"kind"`
				Org    string `json:"org"`
				HookID int64  `json:"hook_id"`
			} `json:"target"`
			Window struct {
				Since, Until string
				Listed       bool
			} `json:"window"`
			Counts struct {
				Failed, Redelivered int
			} `json:"counts"`
			Checkpoint struct {
				Store, Previous, Saved string
			} `json:"checkpoint"`
			Failures []struct {
				GUID        string `json:"guid"`
				DeliveryID  string `json:"delivery_id"`
				Outcome     string `json:"outcome"`
				DeliveredAt string `json:"delivered_at"`
			} `json:"failures"`
			Error *string `json:"error"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if len(got.Hooks) != 1 {
		t.Fatalf("hooks: %d", len(got.Hooks))
	}
	h := got.Hooks[0]
	if h.Target.Kind != "org" || h.Target.Org != "acme" || h.Target.HookID != 77 || !h.Window.Listed || h.Window.Since == "" ||
		h.Counts.Failed != 1 || h.Counts.Redelivered != 1 || got.Totals.Redelivered != 1 || got.Totals.Scanned != 2 ||
		h.Checkpoint.Store != "file "+cp || h.Checkpoint.Saved == "" || h.Checkpoint.Previous != "" || h.Error != nil {
		t.Errorf("unexpected report: %+v", got)
	}
	if len(h.Failures) != 1 || h.Failures[0].GUID != "failed" || h.Failures[0].Outcome != "delivered" || !regexp.MustCompile(`^[0-9]{19}$`).MatchString(h.Failures[0].DeliveryID) {
		t.Errorf("failures: %+v", h.Failures)
	}
	if _, err := time.Parse(time.RFC3339, h.Checkpoint.Saved); err != nil {
		t.Errorf("saved: %v", err)
	}
}

func TestCLILockContention(t *testing.T) {
	t.Parallel()
	w := newCLIWorld(t, "/api/v3")
	w.seed(fakegithub.OrgHook("acme", 77))
	cp := filepath.Join(w.dir, "cp")
	held, err := checkpoint.LockFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	args := []string{"--org", "acme", "--hook-id", "77", "--checkpoint-file", cp}
	env := map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}

	r := w.run(t.Context(), args, env, run.Deps{})
	want := fmt.Sprintf("another hook-redeliver run holds %s.lock (pid %d); refusing to run so deliveries are not redelivered twice", cp, os.Getpid())
	if r.code != exitLocked || !strings.Contains(r.stderr, want) {
		t.Errorf("want exit 3 and %q; got %s", want, r)
	}
	if n := len(w.fake.Requests()); n > 0 {
		t.Errorf("the refused run sent %d requests to GitHub", n)
	}

	// A dry run writes nothing and may run next to the holder.
	r = w.run(t.Context(), append(args, "--dry-run"), env, run.Deps{})
	if r.code != exitOK || len(w.fake.Redeliveries()) != 0 {
		t.Errorf("dry run next to a held lock: %s", r)
	}

	// Once released, the next run goes ahead.
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	if r = w.run(t.Context(), args, env, run.Deps{}); r.code != exitOK {
		t.Errorf("run after the lock was released: %s", r)
	}
}

// saveFailsAfterRedelivery is a file store that cannot save once a
// redelivery has been made: the process dies between redelivering and
// writing the checkpoint.
type saveFailsAfterRedelivery struct {
	*checkpoint.File
	fake *fakegithub.Server
}

func (s saveFailsAfterRedelivery) Save(ctx context.Context, st checkpoint.State) error {
	if len(s.fake.Redeliveries()) > 0 {
		return errors.New("simulated crash: checkpoint not written")
	}
	return s.File.Save(ctx, st)
}

func TestCLICrashBetweenRedeliveryAndWrite(t *testing.T) {
	t.Parallel()
	w := newCLIWorld(t, "/api/v3")
	hook := fakegithub.OrgHook("acme", 77)
	w.seed(hook)
	w.add(hook, "failed-2", 40, false, false)
	cp := filepath.Join(w.dir, "cp")
	args := []string{"--org", "acme", "--hook-id", "77", "--checkpoint-file", cp}
	env := map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}

	crash := run.Deps{Store: func(*config.Config, redeliver.Target, *github.Client) checkpoint.Store {
		return saveFailsAfterRedelivery{File: checkpoint.NewFile(cp), fake: w.fake}
	}}
	r := w.run(t.Context(), args, env, crash)
	if r.code != exitFailure || !strings.Contains(r.stderr, "simulated crash") {
		t.Fatalf("want exit 1 for the failed save; got %s", r)
	}
	want := map[string]int{"failed": 1, "failed-2": 1}
	if diff := cmp.Diff(want, w.redelivered()); diff != "" {
		t.Fatalf("first run's redeliveries (-want +got):\n%s", diff)
	}

	// The next run reads the same window again, sees the redeliveries'
	// attempts and sends none again.
	w.clock.Advance(30 * time.Minute)
	r = w.run(t.Context(), args, env, run.Deps{})
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	if diff := cmp.Diff(want, w.redelivered()); diff != "" {
		t.Errorf("after the second run (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stdout, "redelivered   0") {
		t.Errorf("report:\n%s", r.stdout)
	}
	if v, _ := readCheckpoint(t, cp); !epochMS.MatchString(v) {
		t.Errorf("checkpoint %q, want plain epoch milliseconds after a run that redelivered nothing", v)
	}
}

// cancelClock is a virtual clock that cancels the run when a Sleep matches.
type cancelClock struct {
	*clock.Virtual
	mu     sync.Mutex
	hit    func(d time.Duration) bool
	cancel context.CancelFunc
}

func (c *cancelClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	hit := c.hit(d)
	c.mu.Unlock()
	if hit {
		c.cancel()
	}
	return c.Virtual.Sleep(ctx, d)
}

func TestCLILoop(t *testing.T) {
	t.Parallel()
	t.Run("passes until cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		w := newCLIWorld(t, "/api/v3")
		w.seed(fakegithub.OrgHook("acme", 77))
		cp := filepath.Join(w.dir, "cp")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		waits := 0
		clk := &cancelClock{Virtual: w.clock, cancel: cancel, hit: func(d time.Duration) bool {
			if d >= 10*time.Minute { // the loop's wait, not pacing
				waits++
			}
			return waits == 3
		}}
		r := w.run(ctx, []string{"--loop", "15m", "--org", "acme", "--hook-id", "77", "--checkpoint-file", cp},
			map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{Clock: clk})
		if r.code != exitOK {
			t.Fatalf("%s", r)
		}
		for _, want := range []string{"== pass 1\n", "== pass 2\n", "== pass 3\n"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r)
			}
		}
		if strings.Contains(r.stdout, "== pass 4") || !strings.Contains(r.stderr, "next pass at 2026-11-21 06:15:00 UTC") || !strings.Contains(r.stderr, "stopping;") {
			t.Errorf("passes or log:\n%s", r)
		}
		if diff := cmp.Diff(map[string]int{"failed": 1}, w.redelivered()); diff != "" {
			t.Errorf("redeliveries over all passes (-want +got):\n%s", diff)
		}
		if v, _ := readCheckpoint(t, cp); !epochMS.MatchString(v) {
			t.Errorf("checkpoint %q", v)
		}
		// The lock went with the loop.
		l, err := checkpoint.LockFile(cp)
		if err != nil {
			t.Errorf("lock after the loop ended: %v", err)
		}
		l.Unlock()
	})

	t.Run("cancelled during a pass, it saves what was handled", func(t *testing.T) {
		t.Parallel()
		w := newCLIWorld(t, "/api/v3")
		hook := fakegithub.OrgHook("acme", 77)
		w.add(hook, "a", 90, false, false)
		w.add(hook, "b", 60, false, false)
		w.add(hook, "c", 30, false, false)
		w.add(hook, "live", 5, false, true) // the receiver is up: no probe
		cp := filepath.Join(w.dir, "cp")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// The first pacing wait comes before the second redelivery.
		clk := &cancelClock{Virtual: w.clock, cancel: cancel, hit: func(d time.Duration) bool { return d > 0 && d <= time.Second }}
		args := []string{"--org", "acme", "--hook-id", "77", "--checkpoint-file", cp}
		env := map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}
		r := w.run(ctx, append([]string{"--loop", "1h", "--json"}, args...), env, run.Deps{Clock: clk})
		if r.code != exitOK {
			t.Fatalf("%s", r)
		}
		if diff := cmp.Diff(map[string]int{"a": 1}, w.redelivered()); diff != "" {
			t.Fatalf("redeliveries before the signal (-want +got):\n%s", diff)
		}
		var rep struct {
			Hooks []struct {
				Stopped    string
				Checkpoint struct{ Saved string }
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Hooks) != 1 || rep.Hooks[0].Checkpoint.Saved == "" || rep.Hooks[0].Stopped == "" {
			t.Fatalf("report %+v (%v):\n%s", rep, err, r)
		}
		_, st := readCheckpoint(t, cp)
		if st.Checkpoint.After(cliStart.Add(-60 * time.Minute)) {
			t.Errorf("checkpoint %s moved past b, which was not redelivered", st.Checkpoint)
		}

		// The next run picks up b and c, and leaves a alone.
		w.clock.Advance(10 * time.Minute)
		if r = w.run(t.Context(), args, env, run.Deps{}); r.code != exitOK {
			t.Fatalf("%s", r)
		}
		if diff := cmp.Diff(map[string]int{"a": 1, "b": 1, "c": 1}, w.redelivered()); diff != "" {
			t.Errorf("redeliveries after the next run (-want +got):\n%s", diff)
		}
	})

	t.Run("--since applies to the first pass", func(t *testing.T) {
		t.Parallel()
		w := newCLIWorld(t, "/api/v3")
		w.seed(fakegithub.OrgHook("acme", 77)) // too-old is 30h back
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		waits := 0
		clk := &cancelClock{Virtual: w.clock, cancel: cancel, hit: func(d time.Duration) bool {
			if d >= 10*time.Minute {
				waits++
			}
			return waits == 2
		}}
		r := w.run(ctx, []string{"--loop", "20m", "--json", "--since", "48h", "--org", "acme", "--hook-id", "77", "--checkpoint-file", filepath.Join(w.dir, "cp")},
			map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{Clock: clk})
		if r.code != exitOK {
			t.Fatalf("%s", r)
		}
		var since []string
		for line := range strings.Lines(r.stdout) {
			var rep struct {
				Hooks []struct {
					Window struct {
						Since          string `json:"since"`
						FromSinceInput bool   `json:"from_since_input"`
					} `json:"window"`
				} `json:"hooks"`
			}
			if err := json.Unmarshal([]byte(line), &rep); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			since = append(since, fmt.Sprintf("%s %t", rep.Hooks[0].Window.Since, rep.Hooks[0].Window.FromSinceInput))
		}
		// The second pass reads from where the first stopped reading, less
		// the overlap: both redeliveries were seen to succeed, so nothing
		// holds it back.
		if len(since) != 2 || since[0] != "2026-11-19T06:00:00Z true" || !strings.HasSuffix(since[1], " false") || since[1] < "2026-11-21T05:55:00Z" {
			t.Errorf("windows of the passes: %q, want the since input's, then one from the end of the first pass less the overlap", since)
		}
		if diff := cmp.Diff(map[string]int{"failed": 1, "too-old": 1}, w.redelivered()); diff != "" {
			t.Errorf("redeliveries (-want +got):\n%s", diff)
		}
	})

	t.Run("a single run cancelled exits 1", func(t *testing.T) {
		t.Parallel()
		w := newCLIWorld(t, "/api/v3")
		hook := fakegithub.OrgHook("acme", 77)
		w.add(hook, "a", 90, false, false)
		w.add(hook, "b", 60, false, false)
		w.add(hook, "live", 5, false, true) // the receiver is up: no probe
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		clk := &cancelClock{Virtual: w.clock, cancel: cancel, hit: func(d time.Duration) bool { return d > 0 && d <= time.Second }}
		r := w.run(ctx, []string{"--org", "acme", "--hook-id", "77", "--checkpoint-file", filepath.Join(w.dir, "cp")},
			map[string]string{"TOKEN": cliToken, "API_URL": w.fake.URL()}, run.Deps{Clock: clk})
		if r.code != exitFailure || !strings.Contains(r.stderr, "interrupted") {
			t.Errorf("want exit 1, interrupted; got %s", r)
		}
	})
}

func TestCLIHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := exitCode(runCLIWith(t.Context(), []string{arg}, func(string) string { return "" }, &stdout, &stderr, false, run.Deps{Clock: clock.Real{}}))
			if code != exitOK || stderr.Len() > 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			help := stdout.String()
			lines := strings.Split(help, "\n")
			line := func(flagName string) string {
				for _, l := range lines {
					if strings.HasPrefix(l, "  --"+flagName+" ") || l == "  --"+flagName {
						return l
					}
				}
				return ""
			}
			inv := &invocation{flags: map[string]string{}, flagFrom: map[string]string{}}
			n := 0
			inv.flagSet().VisitAll(func(f *flag.Flag) {
				n++
				if line(f.Name) == "" {
					t.Errorf("--help does not list --%s", f.Name)
				}
			})
			if n < 20 {
				t.Errorf("only %d flags", n)
			}
			for _, k := range config.Settings() {
				l := line(k.Flag)
				if !strings.Contains(l, "$"+k.Key) {
					t.Errorf("--%s: line %q does not name $%s", k.Flag, l, k.Key)
				}
				if k.Default != "" && !strings.Contains(l, "default "+k.Default) {
					t.Errorf("--%s: line %q does not show the default %s", k.Flag, l, k.Default)
				}
			}
			for _, want := range []string{"default hook-redeliver-checkpoint", "ORGANIZATION_NAME", "WORKFLOW_REPO_OWNER", "HOSTNAME", "Exit status", "3 another run holds"} {
				if !strings.Contains(help, want) {
					t.Errorf("--help lacks %q", want)
				}
			}
		})
	}
}

// Every Config field is a flag with a description in its group.
func TestCLIHelpCoversEveryConfigField(t *testing.T) {
	t.Parallel()
	keys := config.Settings()
	if len(keys) != reflect.TypeOf(config.Config{}).NumField()-countUntagged() {
		t.Errorf("%d flags for Config's tagged fields", len(keys))
	}
	for _, k := range keys {
		h, ok := cliHelp[k.Key]
		if !ok || h.text == "" || !slices.Contains(helpGroups, h.group) {
			t.Errorf("%s: no description or group in cliHelp", k.Key)
		}
		if k.IsBool != (h.arg == "") {
			t.Errorf("%s: a switch has no argument, a value has one (arg %q)", k.Key, h.arg)
		}
	}
}

func countUntagged() int {
	n := 0
	t := reflect.TypeOf(config.Config{})
	for i := range t.NumField() {
		if _, ok := t.Field(i).Tag.Lookup("env"); !ok {
			n++
		}
	}
	return n
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := exitCode(runCLIWith(t.Context(), []string{"--version"}, func(string) string { return "" }, &stdout, &stderr, false, run.Deps{Clock: clock.Real{}})); code != exitOK || stdout.String() != "hook-redeliver "+version+"\n" {
		t.Errorf("exit %d, stdout %q", code, stdout.String())
	}
}

// TestCLIDemo: the demo runs when a person asked for it, --demo or a bare
// hook-redeliver in a terminal, and prints what a real run of the command
// line prints (text, or JSON with --json; a dry run with --dry-run), marked
// SIMULATED. What it says of the simulated GitHub agrees with its report.
// With nothing configured and no terminal (a cron job or service that lost
// its environment) it exits 2 with one line naming what to set.
func TestCLIDemo(t *testing.T) {
	t.Parallel()
	// A login shell's environment: nothing of ours, and HOSTNAME, which is
	// only read next to the scripts' names.
	env := map[string]string{"HOME": "/root", "PATH": "/usr/bin", "HOSTNAME": "web01.example.com"}
	banner := regexp.MustCompile(`; ([0-9]+) GUIDs failed in the last 24 hours, which a first run reads, and ([0-9]+) in the 6 hours before, outside its window\n`)
	for _, tt := range []struct {
		name     string
		args     []string
		terminal bool
		wantDemo bool
		json     bool
		dryRun   bool
		stderr   string // a line stderr must hold
	}{
		{name: "--demo, stdout a pipe", args: []string{"--demo"}, wantDemo: true},
		{name: "--demo, stdout a terminal", args: []string{"--demo"}, terminal: true, wantDemo: true},
		{name: "nothing configured, stdout a terminal", terminal: true, wantDemo: true, stderr: "nothing configured"},
		{name: "nothing configured, stdout a pipe"},
		{name: "--demo --json", args: []string{"--demo", "--json"}, wantDemo: true, json: true},
		{name: "--demo --dry-run", args: []string{"--demo", "--dry-run"}, wantDemo: true, dryRun: true},
		{name: "--demo --dry-run --json", args: []string{"--demo", "--dry-run", "--json"}, wantDemo: true, json: true, dryRun: true},
		{name: "--demo with a webhook", args: []string{"--demo", "--org", "acme", "--hook-id", "7"}, wantDemo: true,
			stderr: "hook-redeliver: --demo runs its own simulated App webhook; ignoring --hook-id, --org\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := exitCode(runCLIWith(t.Context(), tt.args, func(k string) string { return env[k] }, &stdout, &stderr, tt.terminal, run.Deps{Clock: clock.Real{}}))
			r := cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
			if !tt.wantDemo {
				if r.code != exitUsage || r.stdout != "" || r.stderr != unconfiguredMessage+"\n" {
					t.Fatalf("want exit 2, nothing on stdout and one line on stderr; got %s", r)
				}
				for _, want := range []string{"APP_ID", "PRIVATE_KEY", "TOKEN", "ORG", "REPOSITORY", "HOOK_ID", "--demo"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("the line does not name %s: %q", want, r.stderr)
					}
				}
				return
			}
			if r.code != exitOK {
				t.Fatalf("%s", r)
			}
			m := banner.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("stderr does not say what the simulated GitHub holds:\n%s", r.stderr)
			}
			if m[2] == "0" {
				t.Errorf("no failure outside the window: the demo no longer shows that a first run reads 24 hours")
			}
			var failed, redelivered int
			if tt.json {
				var rep struct {
					DryRun    bool                              `json:"dry_run"`
					Simulated bool                              `json:"simulated"`
					Totals    struct{ Failed, Redelivered int } `json:"totals"`
				}
				if strings.Count(r.stdout, "\n") != 1 || json.Unmarshal([]byte(r.stdout), &rep) != nil {
					t.Fatalf("want one line of JSON on stdout:\n%s", r.stdout)
				}
				if !rep.Simulated || rep.DryRun != tt.dryRun {
					t.Errorf("simulated %t, dry_run %t; want true, %t", rep.Simulated, rep.DryRun, tt.dryRun)
				}
				failed, redelivered = rep.Totals.Failed, rep.Totals.Redelivered
			} else {
				// The command line's text report, as a real run prints it.
				if !strings.HasPrefix(r.stdout, "SIMULATED (demo, nothing was redelivered): GitHub App webhook\n") || strings.Contains(r.stdout, "##") {
					t.Errorf("want the text report, titled SIMULATED:\n%s", r.stdout)
				}
				want := "\n  checkpoint    20"
				if tt.dryRun {
					want = "\n  checkpoint    unchanged (dry run)"
				}
				if !strings.Contains(r.stdout, want) {
					t.Errorf("report lacks %q:\n%s", want, r.stdout)
				}
				number := func(label string) int {
					m := regexp.MustCompile(`\n  ` + label + ` +([0-9]+)`).FindStringSubmatch(r.stdout)
					if m == nil {
						return 0
					}
					n, _ := strconv.Atoi(m[1])
					return n
				}
				failed, redelivered = number("failed GUIDs"), number("redelivered")
			}
			if strconv.Itoa(failed) != m[1] {
				t.Errorf("stderr says %s GUIDs failed in the window, the report %d", m[1], failed)
			}
			if (redelivered == 0) != tt.dryRun {
				t.Errorf("%d redelivered in a run with dry-run %t", redelivered, tt.dryRun)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
			// Only the bare command says why it shows a demo.
			if said := strings.Contains(r.stderr, "nothing configured"); said == (tt.args != nil) {
				t.Errorf("stderr:\n%s", r.stderr)
			}
		})
	}
}

// TestCLISignal runs the real binary with --loop and stops it with SIGTERM,
// as systemd or docker stop would: it exits 0 with its checkpoint written.
func TestCLISignal(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hook-redeliver")
	build := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The binary runs on the real clock, so the fake does too.
	fake := fakegithub.New(fakegithub.Options{PathPrefix: "/api/v3"})
	defer fake.Close()
	hook := fakegithub.OrgHook("acme", 77)
	fake.AddToken(cliToken, fakegithub.Credential{Kind: "classic", Scopes: []string{"admin:org_hook"}})
	now := time.Now()
	fake.AddDelivery(hook, fakegithub.Delivery{GUID: "failed", DeliveredAt: now.Add(-10 * time.Minute), Event: "push", Status: "Invalid HTTP Response: 503", StatusCode: 503})
	fake.AddDelivery(hook, fakegithub.Delivery{GUID: "ok", DeliveredAt: now.Add(-5 * time.Minute), Event: "push", Status: "OK", StatusCode: 200})

	cp := filepath.Join(dir, "cp")
	cmd := exec.Command(bin, "--loop", "1h", "--org", "acme", "--hook-id", "77", "--redelivery-interval", "0s", "--checkpoint-file", cp)
	// Only these variables: not the test's own environment, which may be a
	// workflow run's.
	cmd.Env = []string{"TOKEN_FILE=" + writeFile(t, dir, "token", cliToken), "API_URL=" + fake.URL()}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	waiting := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "next pass at") {
				once.Do(func() { close(waiting) })
			}
		}
	}()
	select {
	case <-waiting:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the first pass did not finish:\n%s", log.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { <-done; exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\nstderr:\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 30s after SIGTERM:\n%s", log.String())
	}
	readCheckpoint(t, cp)
	if n := len(fake.Redeliveries()); n != 1 {
		t.Errorf("%d redeliveries, want 1", n)
	}
	if !strings.Contains(stdout.String(), "== pass 1") || !strings.Contains(log.String(), "stopping;") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), log.String())
	}
	if err := fake.Err(); err != nil {
		t.Error(err)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// isTerminal: a file or /dev/null (where cron jobs often send their output)
// is not a person watching.
func TestIsTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(f) || isTerminal(null) {
		t.Errorf("isTerminal: file %t, %s %t; want false for both", isTerminal(f), os.DevNull, isTerminal(null))
	}
}

// TestCLIInputVariablesOutsideActions: the action's INPUT_ variables are
// read only in a workflow run; outside one, a line on stderr says they are
// ignored and what to set instead, and nothing else changes.
func TestCLIInputVariablesOutsideActions(t *testing.T) {
	t.Parallel()
	const line = "hook-redeliver: ignoring INPUT_TOKEN, INPUT_ORG, INPUT_HOOK-ID: INPUT_ variables are read only in a workflow run (GITHUB_ACTIONS=true); here set TOKEN, ORG, HOOK_ID or their flags (see --help)\n"
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string // stderr
	}{
		{"nothing else configured", map[string]string{"INPUT_ORG": "acme", "INPUT_HOOK-ID": "1", "INPUT_TOKEN": "x"}, line + unconfiguredMessage + "\n"},
		{"the shell's spelling", map[string]string{"INPUT_HOOK_ID": "1"}, "hook-redeliver: ignoring INPUT_HOOK_ID: INPUT_ variables are read only in a workflow run (GITHUB_ACTIONS=true); here set HOOK_ID or their flags (see --help)\n" + unconfiguredMessage + "\n"},
		{"empty, as the runner leaves undeclared inputs", map[string]string{"INPUT_ORG": ""}, unconfiguredMessage + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newCLIWorld(t, "")
			r := w.run(t.Context(), nil, tt.env, run.Deps{})
			if r.code != exitUsage || r.stderr != tt.want {
				t.Errorf("want exit 2 and stderr\n%s\ngot %s", tt.want, r)
			}
		})
	}
}
