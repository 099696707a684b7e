// Package ghtransport is the http.RoundTripper every GitHub request of the
// action goes through. It is the single authority on waiting:
//
//   - rate limits (403/429): honour Retry-After, else X-RateLimit-Reset when
//     X-RateLimit-Remaining is 0, else back off from one minute, doubling;
//     a rate-limited request was not performed, so it is retried whatever its
//     method;
//   - the primary budget: stop (or wait for the reset) before it is spent, so a
//     run never dies half-way with nothing written;
//   - transient failures (5xx, network errors): retried with jittered
//     exponential backoff, except for POST, whose outcome is then unknown and
//     is left to the caller (a redelivery must never be sent twice). An
//     error of the transport beneath that says it is Permanent (a credential
//     GitHub refused to mint, auth.RefusedError; a rate limit that transport
//     could not wait out, *LimitError) is no network error: it is returned
//     at once;
//   - pacing: mutating requests are spaced out, as GitHub's best practices ask;
//   - GitHub's clock: every Date header feeds a clock.Server.
//
// go-github keeps rate-limit state of its own and, once it has seen a limit,
// refuses requests locally using the wall clock. That would bypass the waits
// above (and the virtual clock of the tests), so this transport never hands
// go-github a rate-limited response: it waits, or returns a *LimitError.
package ghtransport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// Options configure a Transport. The zero value is usable.
type Options struct {
	// Server is GitHub's clock; its local clock is used for all waiting.
	// Default: clock.NewServer(clock.Real{}).
	Server *clock.Server
	// MutationInterval is the least time between the starts of two mutating
	// requests (anything but GET and HEAD). GitHub asks for about a second.
	MutationInterval time.Duration
	// Pacer, if set, paces the mutating requests instead of
	// MutationInterval: one Pacer shared by the transports of one identity
	// keeps all its writes apart.
	Pacer *Pacer
	// Deadline, on the local clock, past which the transport does not wait:
	// a wait that would end after it fails at once with a *LimitError.
	Deadline time.Time
	// Reserve is how many requests of the primary budget this transport leaves
	// unused, for other work of the run that shares the credential (writing the
	// checkpoint). When the budget falls to Reserve, requests wait for the reset
	// if it comes before Deadline, else fail with a *LimitError.
	Reserve int
	// Retries is how many times a transient failure or a rate limit is retried.
	// Default 5.
	Retries int
	// Logf, if set, is told about every wait.
	Logf func(format string, args ...any)
	// Rand draws the backoff jitter; default the global source. Tests seed
	// it so that a run under faults can be replayed exactly.
	Rand *rand.Rand
}

// Transport implements http.RoundTripper. Create it with New.
type Transport struct {
	next http.RoundTripper
	opts Options

	mu          sync.Mutex
	remaining   int
	reset       time.Time // GitHub time
	budgetKnown bool
}

// New returns a Transport sending requests with next (http.DefaultTransport
// if nil).
func New(next http.RoundTripper, opts Options) *Transport {
	if next == nil {
		next = http.DefaultTransport
	}
	if opts.Server == nil {
		opts.Server = clock.NewServer(clock.Real{})
	}
	if opts.Retries == 0 {
		opts.Retries = 5
	}
	if opts.Pacer == nil {
		opts.Pacer = NewPacer(opts.MutationInterval, opts.Server.Local())
	}
	return &Transport{next: next, opts: opts}
}

// LimitError reports that GitHub rate-limited the run and that waiting it out
// would pass the run's deadline (or the retries ran out).
type LimitError struct {
	Reason string        // what GitHub said, in a few words
	Wait   time.Duration // how long GitHub asked to wait
	Until  time.Time     // GitHub time when requests are allowed again, if known
}

// Permanent reports that a transport above must not retry a LimitError of
// the transport beneath (the App's, minting an installation token): that
// transport has waited as long as its deadline allows, and a retry would
// only be logged as a network error. The caller sees the rate limit.
func (*LimitError) Permanent() bool { return true }

func (e *LimitError) Error() string {
	msg := "GitHub rate limit: " + e.Reason
	if e.Wait > 0 {
		msg += fmt.Sprintf(" (GitHub asks to wait %s", e.Wait.Round(time.Second))
		if !e.Until.IsZero() {
			msg += ", until " + e.Until.UTC().Format(time.RFC3339)
		}
		msg += ")"
	}
	return msg
}

func idempotent(method string) bool { return method != http.MethodPost }

func mutating(method string) bool { return method != http.MethodGet && method != http.MethodHead }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	limitBackoff := time.Minute
	for attempt := 0; ; attempt++ {
		if err := t.spendBudget(ctx); err != nil {
			return nil, err
		}
		if err := t.pace(ctx, req.Method); err != nil {
			return nil, err
		}
		send, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(send)
		if err != nil {
			if ctx.Err() != nil || !idempotent(req.Method) || attempt >= t.opts.Retries || permanent(err) {
				return nil, err
			}
			if werr := t.wait(ctx, t.backoff(attempt), "network error: "+err.Error()); werr != nil {
				return nil, err
			}
			continue
		}
		t.opts.Server.Observe(resp.Header)
		t.observeBudget(resp.Header)

		if lim, wait, until := t.classifyLimit(resp, &limitBackoff); lim != "" {
			drain(resp)
			if attempt >= t.opts.Retries {
				return nil, &LimitError{Reason: lim + "; retries exhausted", Wait: wait, Until: until}
			}
			if err := t.waitLimit(ctx, wait, lim, until); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode >= 500 && idempotent(req.Method) && attempt < t.opts.Retries {
			drain(resp)
			if err := t.wait(ctx, t.backoff(attempt), fmt.Sprintf("GitHub answered %d", resp.StatusCode)); err != nil {
				return nil, err
			}
			continue
		}
		// See the package comment: go-github must not start refusing
		// requests on its own.
		resp.Header.Del("X-RateLimit-Reset")
		return resp, nil
	}
}

// Permanent is implemented by errors of the transport beneath that sending
// the request again cannot cure, such as auth.RefusedError: GitHub refused
// the credential the request needs. Any other error of that transport is
// taken for a network error and retried.
type Permanent interface {
	Permanent() bool
}

func permanent(err error) bool {
	var p Permanent
	return errors.As(err, &p) && p.Permanent()
}

// rewind returns the request to send for this attempt: the caller's request
// the first time, a copy with a fresh body afterwards.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 0 || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("retry %s %s: request body cannot be replayed", req.Method, req.URL.Path)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("retry %s %s: %w", req.Method, req.URL.Path, err)
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// pace spaces mutating requests apart (Options.Pacer).
func (t *Transport) pace(ctx context.Context, method string) error {
	if !mutating(method) {
		return nil
	}
	return t.opts.Pacer.Wait(ctx)
}

// spendBudget keeps Reserve requests of the primary budget back: with the
// budget at the reserve it waits for the reset, or fails if that comes after
// the deadline.
func (t *Transport) spendBudget(ctx context.Context) error {
	t.mu.Lock()
	remaining, reset, known := t.remaining, t.reset, t.budgetKnown
	t.mu.Unlock()
	if !known || remaining > t.opts.Reserve {
		return nil
	}
	wait := reset.Sub(t.opts.Server.Now()) + time.Second
	if wait <= 0 {
		return nil
	}
	reason := fmt.Sprintf("primary budget down to %d requests", remaining)
	if err := t.waitLimit(ctx, wait, reason, reset); err != nil {
		return err
	}
	t.mu.Lock()
	t.budgetKnown = false // the reset has passed; the next response tells the new budget
	t.mu.Unlock()
	return nil
}

func (t *Transport) observeBudget(h http.Header) {
	rem, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err2 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	t.mu.Lock()
	t.remaining, t.reset, t.budgetKnown = rem, time.Unix(reset, 0), true
	t.mu.Unlock()
}

// classifyLimit tells whether resp is a rate-limit answer and, if so, how long
// to wait: Retry-After first, then the primary reset, else a growing backoff.
func (t *Transport) classifyLimit(resp *http.Response, backoff *time.Duration) (reason string, wait time.Duration, until time.Time) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return "", 0, time.Time{}
	}
	retryAfter := resp.Header.Get("Retry-After")
	remaining := resp.Header.Get("X-RateLimit-Remaining")
	if resp.StatusCode == http.StatusForbidden && retryAfter == "" && remaining != "0" {
		// A 403 is usually a permission problem; only a body that says
		// "rate limit" makes it a secondary limit without headers.
		if !bodyMentionsRateLimit(resp) {
			return "", 0, time.Time{}
		}
	}
	switch {
	case retryAfter != "":
		if secs, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && secs >= 0 {
			wait = time.Duration(secs) * time.Second
		} else if at, err := http.ParseTime(retryAfter); err == nil {
			wait = at.Sub(t.opts.Server.Now())
		}
		return fmt.Sprintf("secondary limit (%d, Retry-After %s)", resp.StatusCode, retryAfter), max(wait, time.Second), time.Time{}
	case remaining == "0":
		reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err == nil {
			until = time.Unix(reset, 0)
			wait = until.Sub(t.opts.Server.Now()) + time.Second
			return "primary rate limit exhausted", max(wait, time.Second), until
		}
	}
	wait = *backoff
	*backoff *= 2
	return fmt.Sprintf("rate limited (%d) without a wait time", resp.StatusCode), wait, time.Time{}
}

// bodyMentionsRateLimit peeks at a 403's body and puts it back for the caller.
func bodyMentionsRateLimit(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return bytes.Contains(bytes.ToLower(b), []byte("rate limit"))
}

func (t *Transport) waitLimit(ctx context.Context, wait time.Duration, reason string, until time.Time) error {
	if dl := t.opts.Deadline; !dl.IsZero() && t.opts.Server.Local().Now().Add(wait).After(dl) {
		return &LimitError{Reason: reason + "; the wait would pass the run's time budget", Wait: wait, Until: until}
	}
	return t.wait(ctx, wait, reason)
}

func (t *Transport) wait(ctx context.Context, d time.Duration, reason string) error {
	if dl := t.opts.Deadline; !dl.IsZero() && t.opts.Server.Local().Now().Add(d).After(dl) {
		return fmt.Errorf("%s; no time left in the run's budget to retry", reason)
	}
	if t.opts.Logf != nil {
		t.opts.Logf("%s: waiting %s", reason, d.Round(time.Millisecond))
	}
	if err := t.opts.Server.Local().Sleep(ctx, d); err != nil {
		return errors.Join(errors.New(reason), err)
	}
	return nil
}

// backoff is exponential from one second, capped at a minute, with the
// upper half jittered.
func (t *Transport) backoff(attempt int) time.Duration {
	d := min(time.Second<<attempt, time.Minute)
	if t.opts.Rand == nil {
		return d/2 + rand.N(d/2+1)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return d/2 + time.Duration(t.opts.Rand.Int64N(int64(d/2+1)))
}

func drain(resp *http.Response) {
	if resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
}
