package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// TestBadInputSameInBothModes: the same bad input gives the same exit status
// and the same message from the action and from the command line. Only the
// name of the input differs: the action says "input private-key", the
// command line the variable that set it, PRIVATE_KEY.
func TestBadInputSameInBothModes(t *testing.T) {
	t.Parallel()
	app := map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey())}
	org := map[string]string{"org": "acme", "hook-id": "77", "token": fullToken}
	tests := []struct {
		name   string
		inputs map[string]string
		input  string // the input at fault
		want   string // in its message
	}{
		{"damaged key", with(app, "private-key", cliSecret), "private-key", "no PEM block found"},
		{"key data damaged", with(app, "private-key", "-----BEGIN RSA PRIVATE KEY-----\nnot really a key\n-----END RSA PRIVATE KEY-----"), "private-key", "damaged"},
		{"public key", with(app, "private-key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"), "private-key", "not a private key"},
		{"client id with two dots", with(app, "app-id", "Iv1.a.b"), "app-id", `got "Iv1.a.b"`},
		{"app id not an id", with(app, "app-id", "my-app"), "app-id", "numeric id"},
		{"max-attempts not a number", with(org, "max-attempts", "many"), "max-attempts", "want a whole number"},
		{"timeout not a duration", with(org, "timeout", "soon"), "timeout", "want a duration"},
		{"dry-run not a boolean", with(org, "dry-run", "perhaps"), "dry-run", "true or false"},
		{"timeout too short", with(org, "timeout", "5s"), "timeout", "want at least 10s"},
		{"hook-id garbage", with(org, "hook-id", "abc"), "hook-id", "want a webhook id"},
		{"bad since", with(org, "since", "last tuesday"), "since", "want an RFC 3339 time"},
		{"since in the future", with(org, "since", "2099-01-01T00:00:00Z"), "since", "is in the future: the runner's clock reads 2026-11-21T06:00:00Z"},
		{"org and repository", with(org, "repository", "acme/shop"), "org", "not both"},
		{"token with a line break", with(org, "token", fullToken[:20]+"\n"+fullToken[20:]), "token", "holds a line break at character 21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "/api/v3", fakegithub.Faults{})
			action := h.run(tt.inputs)
			var actionMsg string
			for line := range strings.Lines(action.log) {
				if m, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "::error::"); ok {
					if actionMsg != "" {
						t.Fatalf("more than one error from the action:\n%s", action.log)
					}
					actionMsg = m
				}
			}

			w := newCLIWorld(t, "/api/v3")
			env := map[string]string{"API_URL": w.fake.URL(), "CHECKPOINT_FILE": filepath.Join(w.dir, "cp")}
			for k, v := range tt.inputs {
				env[input.Key(k)] = v
			}
			cli := w.run(t.Context(), nil, env, run.Deps{})
			cliMsg := strings.TrimSuffix(cli.stderr, "\n")

			if action.code != exitUsage || cli.code != exitUsage {
				t.Errorf("exit %d from the action, %d from the command line; want %d from both\naction:\n%s\ncommand line:\n%s", action.code, cli.code, exitUsage, action.log, cli)
			}
			actionProblem, ok1 := strings.CutPrefix(actionMsg, "input "+tt.input+": ")
			cliProblem, ok2 := strings.CutPrefix(cliMsg, "hook-redeliver: "+input.Key(tt.input)+": ")
			if !ok1 || !ok2 || actionProblem != cliProblem || !strings.Contains(actionProblem, tt.want) {
				t.Errorf("want the same message naming %s and saying %q;\naction:       %q\ncommand line: %q", tt.input, tt.want, actionMsg, cliMsg)
			}
			if n := len(h.fake.Requests()) + len(w.fake.Requests()); n > 0 {
				t.Errorf("bad input reached GitHub: %d requests", n)
			}
		})
	}
}
