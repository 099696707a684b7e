package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// TestActionJWTRefusedMidRun: GitHub refuses a valid App JWT as expired in
// the middle of a run, with its message and its Date, which either shows its
// clock past the JWT's exp (the runner's clock stepped back) or agrees with
// the runner's estimate (the server that judged the JWT runs ahead of the one
// that wrote the Date). The action re-mints on GitHub's clock as the Date
// shows it and retries that one request: the run completes, every failed GUID
// is redelivered once, the checkpoint is saved. Only when GitHub refuses the
// retry too does the run fail, saying the clocks disagreed, never that the key
// or the app id is wrong.
func TestActionJWTRefusedMidRun(t *testing.T) {
	t.Parallel()
	const (
		deliveries = 350 // four list pages
		pages      = (deliveries + 99) / 100
	)
	type test struct {
		name    string
		expired fakegithub.ExpiredJWTs
		// refused is the request GitHub refused first, "METHOD path".
		refused string
		fail    bool
	}
	var tests []test
	for _, jump := range []bool{false, true} {
		suffix := map[bool]string{false: ", Date unchanged", true: ", GitHub's clock past exp"}[jump]
		tests = append(tests,
			test{name: "on a list page" + suffix, expired: fakegithub.ExpiredJWTs{After: 2, N: 1, Jump: jump}, refused: "GET /app/hook/deliveries"},
			test{name: "on a redelivery" + suffix, expired: fakegithub.ExpiredJWTs{After: pages + 2, N: 1, Jump: jump}, refused: "POST /app/hook/deliveries/"},
			test{name: "and again on the retry" + suffix, expired: fakegithub.ExpiredJWTs{After: 2, N: 2, Jump: jump}, refused: "GET /app/hook/deliveries", fail: true},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "/api/v3", fakegithub.Faults{})
			hook := fakegithub.AppHook()
			want := map[string]int{}
			for i := range deliveries {
				guid := fmt.Sprintf("g%03d", i)
				ok := i%50 != 7
				h.add(hook, guid, 6*60-i, false, ok)
				if !ok {
					want[guid] = 1
				}
			}
			h.fake.RejectJWTsAsExpired(tt.expired)

			r := h.run(targets[0].inputs)

			// The fault fired where it was meant to, in the middle of the run.
			var refused []fakegithub.Request
			for _, req := range h.fake.Requests() {
				if req.Status == 401 {
					refused = append(refused, req)
				}
			}
			if len(refused) != tt.expired.N {
				t.Fatalf("GitHub refused %d requests, want %d:\n%s", len(refused), tt.expired.N, r.log)
			}
			if got := refused[0].Method + " " + refused[0].Path; !strings.HasPrefix(got, tt.refused) || refused[0].Credential != "jwt:invalid" {
				t.Errorf("first refusal: %s by %s, want %s… with an App JWT", got, refused[0].Credential, tt.refused)
			}
			if strings.HasPrefix(tt.refused, "GET") && refused[0].Query.Get("cursor") == "" {
				t.Errorf("the refused list request was the first page; want one in the middle of the listing")
			}
			if strings.Contains(r.log, "wrong key or app id") {
				t.Errorf("the log blames the key or app id:\n%s", r.log)
			}
			checkMasked(t, r.log)

			v, saved := h.fake.Variable("acme", "ops", "REDELIVER_APP_123456")
			if tt.fail {
				if r.code == 0 {
					t.Fatalf("exit 0, want a failure:\n%s", r.log)
				}
				for _, s := range []string{"GitHub judged the App JWT expired even after the action re-minted it on GitHub's clock",
					"the retry did not help", "app-id and private-key are not at fault"} {
					if !strings.Contains(r.log, s) {
						t.Errorf("the log does not say %q:\n%s", s, r.log)
					}
				}
				// What the run read is saved, the rest is left unread for
				// the next run: the checkpoint never passes the window's
				// start, and nothing was redelivered.
				if saved {
					st, err := checkpoint.Parse(v)
					if err != nil || st.Checkpoint.After(start.Add(-redeliver.FirstLookback).Add(time.Minute)) {
						t.Errorf("checkpoint %s (%v) saved past the part of the window that was not read", v, err)
					}
				}
				if n := len(h.fake.Redeliveries()); n != 0 {
					t.Errorf("%d redeliveries by a run whose listing GitHub failed", n)
				}
				return
			}

			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.log)
			}
			if diff := cmp.Diff(want, h.redelivered()); diff != "" {
				t.Errorf("redeliveries by GUID (-want +got):\n%s", diff)
			}
			if r.outputs["failed"] != strconv.Itoa(len(want)) || r.outputs["redelivered"] != strconv.Itoa(len(want)) || r.outputs["gave-up"] != "0" {
				t.Errorf("outputs = %v, want %d failed and redelivered", r.outputs, len(want))
			}
			if !saved {
				t.Error("checkpoint not saved")
			}
		})
	}
}

// TestActionJWTRefusedOnTokenRequest: with only an App, GitHub refuses the
// JWT as expired on the installation-token request, a POST with a body. The
// retry sends the same body, and the token has the permissions asked for.
func TestActionJWTRefusedOnTokenRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.fake.AddInstallation(fakegithub.Installation{ID: 501, AppID: appID, Account: "acme",
		Permissions: map[string]string{"organization_hooks": "write", "actions_variables": "write", "metadata": "read"}})
	h.add(fakegithub.OrgHook("acme", 77), "failed", 40, false, false)
	// The first App-JWT request looks the installation up; the second
	// asks for its token.
	h.fake.RejectJWTsAsExpired(fakegithub.ExpiredJWTs{After: 1, N: 1})

	r := h.run(map[string]string{"app-id": strconv.Itoa(appID), "private-key": keyPEM(testKey()),
		"org": "acme", "hook-id": "77", "checkpoint-repository": "acme/ops"})
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.log)
	}
	var refused []string
	for _, req := range h.fake.Requests() {
		if req.Status == 401 {
			refused = append(refused, req.Method+" "+req.Path)
		}
	}
	if diff := cmp.Diff([]string{"POST /app/installations/501/access_tokens"}, refused); diff != "" {
		t.Errorf("refused requests (-want +got):\n%s", diff)
	}
	// The App's transport retried at once; the refusal never reached the
	// transport that waits out network errors.
	if strings.Contains(r.log, "network error") {
		t.Errorf("the refusal was waited out as a network error:\n%s", r.log)
	}
	if diff := cmp.Diff(map[string]int{"failed": 1}, h.redelivered()); diff != "" {
		t.Errorf("redeliveries (-want +got):\n%s", diff)
	}
	if _, ok := h.fake.Variable("acme", "ops", "REDELIVER_ORG_ACME_HOOK_77"); !ok {
		t.Error("checkpoint not saved with the installation token")
	}
	checkMasked(t, r.log)
}

// TestActionJWTWrongApp: an app-id GitHub knows no App by is reported as a
// wrong key or app id, and not retried.
func TestActionJWTWrongApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "/api/v3", fakegithub.Faults{})
	h.add(fakegithub.AppHook(), "failed", 40, false, false)
	r := h.run(with(targets[0].inputs, "app-id", "999999"))
	if r.code == 0 {
		t.Fatalf("exit 0 with an unknown app-id:\n%s", r.log)
	}
	for _, s := range []string{"Integration not found", "GitHub knows no App by app-id: wrong key or app id"} {
		if !strings.Contains(r.log, s) {
			t.Errorf("the log does not say %q:\n%s", s, r.log)
		}
	}
	if n := h.count("GET", "/app/hook/deliveries"); n != 1 {
		t.Errorf("%d list requests, want 1 (a refused issuer is not retried)", n)
	}
}
