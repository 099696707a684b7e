package main

import (
	"crypto/x509"
	"encoding/pem"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// plantedToken is a token GitHub does not know, planted where it does not
// belong (and where it does).
const plantedToken = "ghp_plantedTokenNeverPrinted0123456789AB"

// plantedSecrets are a private key, as a user pastes it (PKCS#8, as
// openssl writes it), and a token.
func plantedSecrets(t *testing.T) map[string]string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"key":   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token": plantedToken,
	}
}

// noSecretIn fails the test if out holds any line of secret.
func noSecretIn(t *testing.T, out, secret string) {
	t.Helper()
	for line := range strings.SplitSeq(secret, "\n") {
		if line != "" && strings.Contains(out, line) {
			t.Errorf("the output shows %q:\n%s", line, out)
			return
		}
	}
}

// TestNoSecretInOutputAction puts a private key and a token in every input
// declared in action.yml, in turn, and checks that nothing the runner reads
// (the log, the step outputs, the job summary) holds any line of either,
// whatever the run made of it.
func TestNoSecretInOutputAction(t *testing.T) {
	t.Parallel()
	for _, base := range plantedBases {
		for _, name := range actionInputs() {
			for what, secret := range plantedSecrets(t) {
				t.Run(base.name+"/"+name+"/"+what, func(t *testing.T) {
					t.Parallel()
					h := newHarness(t, "/api/v3", fakegithub.Faults{})
					h.add(base.hook, "failed", 40, false, false)
					r := h.run(with(base.inputs(), name, secret))
					out := r.log + r.summary
					for _, k := range slices.Sorted(maps.Keys(r.outputs)) {
						out += k + "=" + r.outputs[k] + "\n"
					}
					noSecretIn(t, out, secret)
				})
			}
		}
	}
}

// plantedBases are the settings a secret is planted among: an organization
// webhook with a token, and the App's webhook with its key.
var plantedBases = []struct {
	name   string
	hook   fakegithub.HookRef
	inputs func() map[string]string
}{
	{"org", fakegithub.OrgHook("acme", 77), func() map[string]string {
		return map[string]string{"org": "acme", "hook-id": "77", "token": fullToken}
	}},
	{"app", fakegithub.AppHook(), func() map[string]string {
		return map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey())}
	}},
}

// TestNoSecretInOutputCLI does the same for the command line: every flag
// and its variable, the names of GitHub's scripts, the action's INPUT_
// variables (ignored outside Actions), and a stray argument.
func TestNoSecretInOutputCLI(t *testing.T) {
	t.Parallel()
	type place struct {
		name string
		// set puts v in place in args or env.
		set func(v string, args []string, env map[string]string) []string
	}
	var places []place
	flagAndVariable := func(key string) {
		places = append(places,
			place{"--" + input.Name(key), func(v string, args []string, _ map[string]string) []string {
				return append(args, "--"+input.Name(key)+"="+v)
			}},
			place{key, func(v string, args []string, env map[string]string) []string { env[key] = v; return args }})
	}
	variable := func(key string) {
		places = append(places, place{key, func(v string, args []string, env map[string]string) []string { env[key] = v; return args }})
	}
	for _, s := range config.Settings() {
		flagAndVariable(s.Key)
	}
	for _, k := range []string{"PRIVATE_KEY_FILE", "TOKEN_FILE", "CHECKPOINT_FILE"} {
		flagAndVariable(k)
	}
	for _, k := range []string{"ORGANIZATION_NAME", "REPO_OWNER", "REPO_NAME", "LAST_REDELIVERY_VARIABLE_NAME",
		"WORKFLOW_REPO_OWNER", "WORKFLOW_REPO_NAME", "WORKFLOW_REPO", "HOSTNAME"} {
		variable(k)
	}
	for _, name := range actionInputs() {
		variable("INPUT_" + strings.ToUpper(name))
	}
	places = append(places,
		place{"an argument", func(v string, args []string, _ map[string]string) []string { return append(args, v) }},
		place{"--loop", func(v string, args []string, _ map[string]string) []string { return append(args, "--loop", v) }},
		place{"--json", func(v string, args []string, _ map[string]string) []string { return append(args, "--json="+v) }},
	)

	for _, base := range plantedBases {
		for _, p := range places {
			for what, secret := range plantedSecrets(t) {
				t.Run(base.name+"/"+p.name+"/"+what, func(t *testing.T) {
					t.Parallel()
					w := newCLIWorld(t, "/api/v3")
					w.add(base.hook, "failed", 40, false, false)
					// The checkpoint file goes to the test's directory,
					// wherever a setting moves it.
					env := map[string]string{"API_URL": w.fake.URL(), "STATE_DIRECTORY": w.dir}
					for k, v := range base.inputs() {
						env[input.Key(k)] = v
					}
					args := p.set(secret, nil, env)
					r := w.run(t.Context(), args, env, run.Deps{})
					noSecretIn(t, r.stdout+r.stderr, secret)
				})
			}
		}
	}
}
