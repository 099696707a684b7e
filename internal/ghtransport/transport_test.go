package ghtransport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

var t0 = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// answer is one scripted GitHub response.
type answer struct {
	status  int
	headers map[string]string
	body    string
}

// script is a GitHub that answers requests in order, on the virtual clock,
// and records when each request arrived.
type script struct {
	t       *testing.T
	vc      *clock.Virtual
	mu      sync.Mutex
	answers []answer
	arrived []time.Time
	methods []string
}

func newScript(t *testing.T, answers ...answer) (*script, *httptest.Server) {
	s := &script{t: t, vc: clock.NewVirtual(t0), answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.arrived = append(s.arrived, s.vc.Now())
		s.methods = append(s.methods, r.Method)
		if len(s.answers) == 0 {
			s.t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		a := s.answers[0]
		s.answers = s.answers[1:]
		w.Header().Set("Date", s.vc.Now().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		for k, v := range a.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
	}))
	t.Cleanup(func() {
		srv.Close()
		if len(s.answers) != 0 {
			t.Errorf("%d scripted answers never requested", len(s.answers))
		}
	})
	return s, srv
}

func (s *script) times() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]time.Duration, len(s.arrived))
	for i, a := range s.arrived {
		out[i] = a.Sub(t0)
	}
	return out
}

func client(t *testing.T, srv *httptest.Server, tr *Transport) *github.Client {
	t.Helper()
	c, err := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(srv.URL+"/api/v3/", srv.URL+"/api/v3/")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const secondaryBody = `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`

func ok() answer { return answer{status: 200, body: `{"name":"X","value":"1"}`} }

func TestWaitsAsGitHubAsks(t *testing.T) {
	t.Parallel()
	reset := strconv.FormatInt(t0.Add(10*time.Minute).Unix(), 10)
	tests := []struct {
		name    string
		first   answer
		minWait time.Duration
		maxWait time.Duration
	}{
		{"secondary limit 403 with Retry-After", answer{403, map[string]string{"Retry-After": "90"}, secondaryBody}, 90 * time.Second, 91 * time.Second},
		{"429 with Retry-After (a plain ErrorResponse to go-github)", answer{429, map[string]string{"Retry-After": "30"}, `{"message":"Too Many Requests"}`}, 30 * time.Second, 31 * time.Second},
		{"primary limit: wait for X-RateLimit-Reset on GitHub's clock", answer{403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, `{"message":"API rate limit exceeded"}`}, 10 * time.Minute, 10*time.Minute + 2*time.Second},
		{"secondary limit without a wait: at least a minute", answer{403, nil, secondaryBody}, time.Minute, time.Minute + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv := newScript(t, tt.first, ok(), ok())
			tr := New(nil, Options{Server: clock.NewServer(s.vc)})
			c := client(t, srv, tr)
			if _, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X"); err != nil {
				t.Fatalf("request failed after the wait: %v", err)
			}
			got := s.times()
			if wait := got[1] - got[0]; wait < tt.minWait || wait > tt.maxWait {
				t.Errorf("waited %s, want between %s and %s", wait, tt.minWait, tt.maxWait)
			}
			// go-github must not refuse the next request on its own.
			if _, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X"); err != nil {
				t.Errorf("next request refused: %v", err)
			}
		})
	}
}

func TestBackoffGrowsWithoutHints(t *testing.T) {
	t.Parallel()
	s, srv := newScript(t, answer{403, nil, secondaryBody}, answer{403, nil, secondaryBody}, ok())
	c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc)}))
	if _, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X"); err != nil {
		t.Fatal(err)
	}
	got := s.times()
	if first, second := got[1]-got[0], got[2]-got[1]; first < time.Minute || second < 2*time.Minute {
		t.Errorf("waits %s then %s; want at least 1m then 2m", first, second)
	}
}

func TestDoesNotWaitPastTheDeadline(t *testing.T) {
	t.Parallel()
	s, srv := newScript(t, answer{403, map[string]string{"Retry-After": "600"}, secondaryBody})
	c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc), Deadline: t0.Add(5 * time.Minute)}))
	_, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X")
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LimitError", err)
	}
	if le.Wait != 10*time.Minute || !strings.Contains(err.Error(), "time budget") {
		t.Errorf("LimitError = %v", le)
	}
	if now := s.vc.Now(); !now.Equal(t0) {
		t.Errorf("slept until %s although the wait could not fit", now)
	}
}

func TestRetriesTransientReadsButNeverAPost(t *testing.T) {
	t.Parallel()
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		s, srv := newScript(t, answer{502, nil, "bad gateway"}, answer{503, nil, "{}"}, ok())
		c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc)}))
		if _, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X"); err != nil {
			t.Fatalf("GET not retried to success: %v", err)
		}
		if n := len(s.times()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("POST", func(t *testing.T) {
		t.Parallel()
		s, srv := newScript(t, answer{502, nil, `{"message":"Server Error"}`})
		c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc)}))
		_, resp, err := c.Apps.RedeliverHookDelivery(t.Context(), 3804004623172239366)
		if err == nil || resp == nil || resp.StatusCode != 502 {
			t.Fatalf("err = %v, want the 502 passed up (the outcome is unknown)", err)
		}
		if n := len(s.times()); n != 1 {
			t.Errorf("%d POSTs sent, want exactly 1: a redelivery must never be repeated blindly", n)
		}
	})
	t.Run("rate-limited POST is retried: GitHub did not perform it", func(t *testing.T) {
		t.Parallel()
		s, srv := newScript(t, answer{403, map[string]string{"Retry-After": "5"}, secondaryBody}, answer{202, nil, `{}`})
		c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc)}))
		_, _, err := c.Apps.RedeliverHookDelivery(t.Context(), 1)
		var accepted *github.AcceptedError
		if !errors.As(err, &accepted) {
			t.Fatalf("err = %v, want the 202 as *github.AcceptedError", err)
		}
	})
}

func TestPacesMutatingRequests(t *testing.T) {
	t.Parallel()
	s, srv := newScript(t, answer{202, nil, "{}"}, ok(), answer{202, nil, "{}"}, answer{202, nil, "{}"})
	c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc), MutationInterval: time.Second}))
	ctx := t.Context()
	c.Apps.RedeliverHookDelivery(ctx, 1)
	c.Actions.GetRepoVariable(ctx, "o", "r", "X") // reads are not paced
	c.Apps.RedeliverHookDelivery(ctx, 2)
	c.Apps.RedeliverHookDelivery(ctx, 3)
	got := s.times()
	if got[1] != got[0] {
		t.Errorf("the GET waited %s", got[1]-got[0])
	}
	if got[2]-got[0] < time.Second || got[3]-got[2] < time.Second {
		t.Errorf("POSTs at %v, want them a second apart", got)
	}
}

func TestKeepsAReserveOfThePrimaryBudget(t *testing.T) {
	t.Parallel()
	reset := strconv.FormatInt(t0.Add(20*time.Minute).Unix(), 10)
	low := answer{200, map[string]string{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": reset}, `{"name":"X","value":"1"}`}
	t.Run("reset after the deadline: stop", func(t *testing.T) {
		t.Parallel()
		s, srv := newScript(t, low)
		tr := New(nil, Options{Server: clock.NewServer(s.vc), Reserve: 5, Deadline: t0.Add(10 * time.Minute)})
		c := client(t, srv, tr)
		if _, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X"); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X")
		var le *LimitError
		if !errors.As(err, &le) {
			t.Fatalf("err = %v, want a *LimitError before the budget is spent", err)
		}
		tr.mu.Lock()
		rem := tr.remaining
		tr.mu.Unlock()
		if rem != 3 {
			t.Errorf("remaining budget = %d, want 3", rem)
		}
	})
	t.Run("reset before the deadline: wait for it", func(t *testing.T) {
		t.Parallel()
		s, srv := newScript(t, low, ok())
		c := client(t, srv, New(nil, Options{Server: clock.NewServer(s.vc), Reserve: 5, Deadline: t0.Add(time.Hour)}))
		c.Actions.GetRepoVariable(t.Context(), "o", "r", "X")
		if _, _, err := c.Actions.GetRepoVariable(t.Context(), "o", "r", "X"); err != nil {
			t.Fatal(err)
		}
		if got := s.times(); got[1] < 20*time.Minute {
			t.Errorf("second request at +%s, want after the reset at +20m", got[1])
		}
	})
}

func TestObservesGitHubsClock(t *testing.T) {
	t.Parallel()
	s, srv := newScript(t, ok())
	// The runner's clock is 7 minutes behind GitHub's.
	local := clock.NewVirtual(t0.Add(-7 * time.Minute))
	srvClock := clock.NewServer(local)
	c := client(t, srv, New(nil, Options{Server: srvClock}))
	if _, _, err := c.Actions.GetRepoVariable(context.Background(), "o", "r", "X"); err != nil {
		t.Fatal(err)
	}
	if d := srvClock.Now().Sub(s.vc.Now()); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("GitHub time estimated %s off", d)
	}
}

// failing is a transport beneath that fails every request with err, before
// sending it, as an auth transport does when it cannot get a credential.
type failing struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *failing) RoundTrip(*http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return nil, f.err
}

type refusal struct{}

func (refusal) Error() string   { return "GitHub refused an installation token" }
func (refusal) Permanent() bool { return true }

// TestDoesNotRetryAPermanentError: an error of the transport beneath that
// says it is Permanent (a credential GitHub refused) is returned at once,
// not retried and logged as a network error; any other is retried.
func TestDoesNotRetryAPermanentError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		err   error
		calls int
	}{
		{"permanent", fmt.Errorf("mint: %w", refusal{}), 1},
		{"a rate limit the transport beneath could not wait out", fmt.Errorf("mint: %w", &LimitError{Reason: "primary rate limit", Wait: time.Hour}), 1},
		{"a network error", errors.New("connection reset by peer"), 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vc := clock.NewVirtual(t0)
			below := &failing{err: tt.err}
			var logged []string
			tr := New(below, Options{Server: clock.NewServer(vc), Logf: func(format string, args ...any) {
				logged = append(logged, fmt.Sprintf(format, args...))
			}})
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://api.github.com/orgs/acme/hooks/1/deliveries", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.RoundTrip(req); !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if below.calls != tt.calls {
				t.Errorf("%d attempts, want %d", below.calls, tt.calls)
			}
			if tt.calls == 1 && len(logged) > 0 {
				t.Errorf("logged %q", logged)
			}
		})
	}
}
