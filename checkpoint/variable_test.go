package checkpoint

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

const (
	varToken = "ghp_variablesTestToken00000000000000000000"
	varName  = "REDELIVER_ORG_ACME_HOOK_77"
	varState = varName + "_STATE"
)

// varStart is the fake GitHub's time when a test begins.
var varStart = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// newVariableFake starts a fake GitHub holding variables of acme/ops and
// returns it with a client whose requests pass through rt (nil: straight).
func newVariableFake(t *testing.T, rt http.RoundTripper) (*fakegithub.Server, *clock.Virtual, *github.Client) {
	t.Helper()
	vc := clock.NewVirtual(varStart)
	fake := fakegithub.New(fakegithub.Options{Clock: vc, PathPrefix: "/api/v3", Seed: 1})
	t.Cleanup(func() {
		fake.Close()
		if err := fake.Err(); err != nil {
			t.Errorf("the fake GitHub saw unexpected requests: %v", err)
		}
	})
	fake.AddToken(varToken, fakegithub.Credential{Kind: "fine-grained", Permissions: map[string]string{"actions_variables": "write"}})
	if rt == nil {
		rt = http.DefaultTransport
	}
	c, err := github.NewClient(&http.Client{Transport: rt, Timeout: 10 * time.Second}).WithAuthToken(varToken).WithEnterpriseURLs(fake.URL(), fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	return fake, vc, c
}

// varRequests lists the variable requests GitHub received since the n-th, as
// "METHOD NAME" ("POST" alone for a create, which names it in the body).
func varRequests(fake *fakegithub.Server, n int) []string {
	var out []string
	for _, r := range fake.Requests()[n:] {
		name, ok := strings.CutPrefix(r.Path, "/repos/acme/ops/actions/variables")
		if !ok {
			continue
		}
		out = append(out, strings.TrimSpace(r.Method+" "+strings.TrimPrefix(name, "/")))
	}
	return out
}

// marked is the stored value of testCP with a ledger.
var marked = State{Checkpoint: testCP, Ledger: fullLedger()}.Encode()

func TestVariableLoad(t *testing.T) {
	t.Parallel()
	plain := State{Checkpoint: testCP}.Encode()
	ledger := fullLedger().Encode(testCP)
	tests := []struct {
		name         string
		value, state string // "" for a variable that does not exist
		wantFound    bool
		wantMS       int64
		wantLedger   bool
		wantNote     string
		wantRequests []string
	}{
		{name: "no variable: the first run", wantRequests: []string{"GET " + varName}},
		{name: "a checkpoint without the mark: the ledger is not read", value: plain, state: ledger, wantFound: true, wantMS: testCP.UnixMilli(),
			wantRequests: []string{"GET " + varName}},
		{name: "GitHub's scripts' value, a ledger left from before", value: "1763618400123", state: ledger, wantFound: true, wantMS: 1763618400123,
			wantRequests: []string{"GET " + varName}},
		{name: "the mark: the ledger is read", value: marked, state: ledger, wantFound: true, wantMS: testCP.UnixMilli(), wantLedger: true,
			wantRequests: []string{"GET " + varName, "GET " + varState}},
		{name: "the mark, no ledger variable", value: marked, wantFound: true, wantMS: testCP.UnixMilli(),
			wantNote: "the ledger variable " + varState + " is missing; reading from the checkpoint instead", wantRequests: []string{"GET " + varName, "GET " + varState}},
		{name: "the mark, a ledger of another checkpoint", value: marked, state: fullLedger().Encode(testCP.Add(-time.Hour)), wantFound: true, wantMS: testCP.UnixMilli(),
			wantNote: "the ledger variable " + varState + " belongs to another checkpoint; reading from the checkpoint instead", wantRequests: []string{"GET " + varName, "GET " + varState}},
		{name: "the mark, a damaged ledger", value: marked, state: ledger[:100], wantFound: true, wantMS: testCP.UnixMilli(),
			wantNote: "the ledger variable " + varState + " is unreadable (parse ledger: unexpected EOF); reading from the checkpoint instead", wantRequests: []string{"GET " + varName, "GET " + varState}},
		{name: "GitHub's scripts' value ending in 999, a ledger left from before", value: "1763618400999", state: ledger, wantFound: true, wantMS: 1763618401000,
			wantNote: "belongs to another checkpoint", wantRequests: []string{"GET " + varName, "GET " + varState}},
		{name: "GitHub's scripts' value ending in 999, no ledger", value: "1763618400999", wantFound: true, wantMS: 1763618401000,
			wantNote: "is missing", wantRequests: []string{"GET " + varName, "GET " + varState}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, vc, c := newVariableFake(t, nil)
			if tt.value != "" {
				fake.SetVariable("acme", "ops", varName, tt.value)
			}
			vc.Advance(time.Minute)
			if tt.state != "" {
				// A run that left the checkpoint as it was wrote only the
				// ledger, later.
				fake.SetVariable("acme", "ops", varState, tt.state)
			}
			st, found, err := NewVariable(c, "acme", "ops", varName).Load(t.Context())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if found != tt.wantFound || (found && st.Checkpoint.UnixMilli() != tt.wantMS) {
				t.Errorf("Load = found %t, checkpoint %d; want %t, %d", found, st.Checkpoint.UnixMilli(), tt.wantFound, tt.wantMS)
			}
			var want *Ledger
			if tt.wantLedger {
				want = fullLedger()
			}
			if diff := cmp.Diff(want, st.Ledger); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
			if (tt.wantNote == "") != (st.Note == "") || !strings.Contains(st.Note, tt.wantNote) {
				t.Errorf("Note = %q, want %q", st.Note, tt.wantNote)
			}
			if diff := cmp.Diff(tt.wantRequests, varRequests(fake, 0)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if tt.wantLedger && !st.SavedAt.Equal(varStart.Add(time.Minute)) {
				t.Errorf("SavedAt = %s, want the ledger's later update %s", st.SavedAt, varStart.Add(time.Minute))
			}
		})
	}
}

func TestVariableSave(t *testing.T) {
	t.Parallel()
	cp2 := testCP.Add(time.Hour)
	l2 := &Ledger{Listed: cp2.Add(time.Hour), GUIDs: manyGUIDs(3, cp2)}
	tests := []struct {
		name         string
		value, state string // stored before; "" for none
		save         State
		wantRequests []string // after Load
		wantValue    string
		wantState    string // "": no ledger variable afterwards
	}{
		{name: "first run with a ledger: the ledger is created first", save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"POST", "POST"}, wantValue: State{Checkpoint: cp2, Ledger: l2}.Encode(), wantState: l2.Encode(cp2)},
		{name: "first run without a ledger", save: State{Checkpoint: cp2},
			wantRequests: []string{"POST"}, wantValue: State{Checkpoint: cp2}.Encode()},
		{name: "a new ledger: written before the checkpoint", value: marked, state: fullLedger().Encode(testCP), save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"PATCH " + varState, "PATCH " + varName}, wantValue: State{Checkpoint: cp2, Ledger: l2}.Encode(), wantState: l2.Encode(cp2)},
		{name: "no ledger any more: the one read is deleted first", value: marked, state: fullLedger().Encode(testCP), save: State{Checkpoint: cp2},
			wantRequests: []string{"DELETE " + varState, "PATCH " + varName}, wantValue: State{Checkpoint: cp2}.Encode()},
		{name: "a ledger of another checkpoint that was read is deleted", value: marked, state: fullLedger().Encode(testCP.Add(-time.Hour)), save: State{Checkpoint: cp2},
			wantRequests: []string{"DELETE " + varState, "PATCH " + varName}, wantValue: State{Checkpoint: cp2}.Encode()},
		{name: "a damaged ledger that was read is replaced", value: marked, state: "garbage", save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"PATCH " + varState, "PATCH " + varName}, wantValue: State{Checkpoint: cp2, Ledger: l2}.Encode(), wantState: l2.Encode(cp2)},
		{name: "the same checkpoint, no ledger: nothing is written", value: State{Checkpoint: testCP}.Encode(), save: State{Checkpoint: testCP},
			wantValue: State{Checkpoint: testCP}.Encode()},
		{name: "the same checkpoint, a new ledger: only the ledger is written", value: marked, state: fullLedger().Encode(testCP), save: State{Checkpoint: testCP, Ledger: l2},
			wantRequests: []string{"PATCH " + varState}, wantValue: marked, wantState: l2.Encode(testCP)},
		{name: "the mark, no ledger variable: it is created", value: marked, save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"POST", "PATCH " + varName}, wantValue: State{Checkpoint: cp2, Ledger: l2}.Encode(), wantState: l2.Encode(cp2)},
		// Without the mark the ledger variable is not read, so not known to
		// exist: the create finds it and updates it.
		{name: "a ledger left beside an unmarked checkpoint is overwritten", value: State{Checkpoint: testCP}.Encode(), state: fullLedger().Encode(testCP.Add(-time.Hour)), save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"POST", "PATCH " + varState, "PATCH " + varName}, wantValue: State{Checkpoint: cp2, Ledger: l2}.Encode(), wantState: l2.Encode(cp2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, _, c := newVariableFake(t, nil)
			if tt.value != "" {
				fake.SetVariable("acme", "ops", varName, tt.value)
			}
			if tt.state != "" {
				fake.SetVariable("acme", "ops", varState, tt.state)
			}
			v := NewVariable(c, "acme", "ops", varName)
			if _, _, err := v.Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			n := len(fake.Requests())
			if err := v.Save(t.Context(), tt.save); err != nil {
				t.Fatalf("Save: %v", err)
			}
			if diff := cmp.Diff(tt.wantRequests, varRequests(fake, n)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if got, _ := fake.Variable("acme", "ops", varName); got != tt.wantValue {
				t.Errorf("%s = %q, want %q", varName, got, tt.wantValue)
			}
			if got, ok := fake.Variable("acme", "ops", varState); got != tt.wantState {
				t.Errorf("%s = %q (exists %t), want %q", varState, got, ok, tt.wantState)
			}

			// The next run reads what was saved, and a save of the same
			// state changes nothing.
			next := NewVariable(c, "acme", "ops", varName)
			st, found, err := next.Load(t.Context())
			if err != nil || !found || !st.Checkpoint.Equal(tt.save.Checkpoint) || st.Note != "" {
				t.Fatalf("next Load = %+v, %t, %v", st, found, err)
			}
			var want *Ledger
			if !tt.save.Ledger.Empty() {
				want = tt.save.Ledger
			}
			if diff := cmp.Diff(want, st.Ledger); diff != "" {
				t.Errorf("next run's ledger (-want +got):\n%s", diff)
			}
			n = len(fake.Requests())
			if err := next.Save(t.Context(), State{Checkpoint: st.Checkpoint, Ledger: st.Ledger}); err != nil {
				t.Fatal(err)
			}
			for _, r := range varRequests(fake, n) {
				if !strings.HasSuffix(r, varState) {
					t.Errorf("saving the state it read, the next run sent %s", r)
				}
			}
		})
	}
}

// failFirst answers the first n requests of method to a path ending in
// suffix with 502: before GitHub saw them, or, if performed, after GitHub
// acted on them (a lost answer).
type failFirst struct {
	method, suffix string
	n              int64
	performed      bool
	seen           atomic.Int64
}

// failPOSTs fails the first n creates.
func failPOSTs(n int64, performed bool) *failFirst {
	return &failFirst{method: http.MethodPost, n: n, performed: performed}
}

func (f *failFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != f.method || !strings.HasSuffix(req.URL.Path, f.suffix) || f.seen.Add(1) > f.n {
		return http.DefaultTransport.RoundTrip(req)
	}
	if f.performed {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return &http.Response{
		Status: "502 Bad Gateway", StatusCode: http.StatusBadGateway, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(`{"message":"Server Error"}`)),
		Request: req,
	}, nil
}

// A create that GitHub answered with a 5xx is sent once more: if the first
// did create the variable, the second gets 409 and the value is PATCHed.
func TestVariableCreateRetry(t *testing.T) {
	t.Parallel()
	cp2 := testCP.Add(time.Hour)
	l2 := &Ledger{Listed: cp2.Add(time.Hour), GUIDs: manyGUIDs(3, cp2)}
	tests := []struct {
		name         string
		rt           *failFirst
		save         State
		wantRequests []string // as GitHub received them
		wantErr      string
	}{
		{name: "5xx before GitHub acted", rt: failPOSTs(1, false), save: State{Checkpoint: cp2},
			wantRequests: []string{"GET " + varName, "POST"}},
		{name: "5xx after GitHub acted", rt: failPOSTs(1, true), save: State{Checkpoint: cp2},
			wantRequests: []string{"GET " + varName, "POST", "POST", "PATCH " + varName}},
		{name: "the ledger's create, 5xx before GitHub acted", rt: failPOSTs(1, false), save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"GET " + varName, "POST", "POST"}},
		{name: "the ledger's create, 5xx after GitHub acted", rt: failPOSTs(1, true), save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"GET " + varName, "POST", "POST", "PATCH " + varState, "POST"}},
		{name: "5xx twice: an error, nothing half written", rt: failPOSTs(2, false), save: State{Checkpoint: cp2, Ledger: l2},
			wantRequests: []string{"GET " + varName}, wantErr: "create checkpoint variable " + varState + " in acme/ops: POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, _, c := newVariableFake(t, tt.rt)
			v := NewVariable(c, "acme", "ops", varName)
			if _, found, err := v.Load(t.Context()); err != nil || found {
				t.Fatalf("Load = %t, %v; want a first run", found, err)
			}
			err := v.Save(t.Context(), tt.save)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "502") {
					t.Errorf("Save error = %v, want one containing %q and the status", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Save: %v", err)
			}
			if diff := cmp.Diff(tt.wantRequests, varRequests(fake, 0)); diff != "" {
				t.Errorf("requests GitHub received (-want +got):\n%s", diff)
			}
			if tt.wantErr != "" {
				if _, ok := fake.Variable("acme", "ops", varName); ok {
					t.Error("the checkpoint was written although its ledger was not")
				}
				return
			}
			if got, _ := fake.Variable("acme", "ops", varName); got != tt.save.Encode() {
				t.Errorf("%s = %q, want %q", varName, got, tt.save.Encode())
			}
			if !tt.save.Ledger.Empty() {
				if got, _ := fake.Variable("acme", "ops", varState); got != tt.save.Ledger.Encode(tt.save.Checkpoint) {
					t.Errorf("%s = %q, want the ledger", varState, got)
				}
			}
		})
	}
}

// A run that dies between the two writes leaves the new ledger beside the
// old checkpoint: the next run sees that it belongs to another checkpoint and
// reads from the old one, which is safe on its own.
func TestVariableSaveCutBetweenWrites(t *testing.T) {
	t.Parallel()
	cp2 := testCP.Add(time.Hour)
	l2 := &Ledger{Listed: cp2.Add(time.Hour), GUIDs: manyGUIDs(3, cp2)}
	for _, tt := range []struct {
		name     string
		save     State
		wantNote string
	}{
		{"a new ledger was written", State{Checkpoint: cp2, Ledger: l2}, "belongs to another checkpoint"},
		{"the ledger was deleted", State{Checkpoint: cp2}, "is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, _, c := newVariableFake(t, &failFirst{method: http.MethodPatch, suffix: "/" + varName, n: 1})
			fake.SetVariable("acme", "ops", varName, marked)
			fake.SetVariable("acme", "ops", varState, fullLedger().Encode(testCP))
			v := NewVariable(c, "acme", "ops", varName)
			if _, _, err := v.Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := v.Save(t.Context(), tt.save); err == nil || !strings.Contains(err.Error(), "update checkpoint variable "+varName) {
				t.Fatalf("Save error = %v, want the checkpoint's update to fail", err)
			}
			st, found, err := NewVariable(c, "acme", "ops", varName).Load(t.Context())
			if err != nil || !found {
				t.Fatalf("next Load = %t, %v", found, err)
			}
			if !st.Checkpoint.Equal(testCP) || st.Ledger != nil || !strings.Contains(st.Note, tt.wantNote) {
				t.Errorf("next Load = checkpoint %s, ledger %v, note %q; want the old checkpoint alone, and a note that says %q", st.Checkpoint, st.Ledger, st.Note, tt.wantNote)
			}
		})
	}
}
