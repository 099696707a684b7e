package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

func TestNewApp(t *testing.T) {
	t.Parallel()
	key := newKey(t)

	cases := []struct {
		id      string
		wantErr string
	}{
		{id: "123456"},
		{id: " 123456\n"},
		{id: "Iv1.8a61f9b3a7aba766"},
		{id: "Iv23liABCdef0123456789"},
		{id: "", wantErr: "app-id: empty"},
		{id: "my-app", wantErr: `app-id: "my-app" is neither a numeric App ID nor a client ID`},
		{id: "12 34", wantErr: "is neither"},
		{id: "Iv1.abc/def", wantErr: "is neither"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			app, err := NewApp(tc.id, key, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NewApp(%q) error = %v, want one containing %q", tc.id, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewApp(%q): %v", tc.id, err)
			}
			if got, want := app.id, strings.TrimSpace(tc.id); got != want {
				t.Errorf("app id = %q, want %q", got, want)
			}
		})
	}

	if _, err := NewApp("1", nil, nil); err == nil {
		t.Error("NewApp with a nil key succeeded")
	}
}

func TestAppJWT(t *testing.T) {
	t.Parallel()
	key := newKey(t)

	cases := []struct {
		name string
		// skew is GitHub's clock minus the runner's, as srv has observed
		// it; nil means no Date header seen yet.
		skew *time.Duration
	}{
		{name: "no Date seen"},
		{name: "GitHub in step", skew: ptr(time.Duration(0))},
		{name: "GitHub 5 minutes ahead", skew: ptr(5 * time.Minute)},
		{name: "GitHub 5 minutes behind", skew: ptr(-5 * time.Minute)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vc := clock.NewVirtual(start)
			srv := clock.NewServer(vc)
			githubNow := vc.Now
			if tc.skew != nil {
				skew := *tc.skew
				srv.ObserveTime(vc.Now().Add(skew))
				githubNow = func() time.Time { return vc.Now().Add(skew) }
			}
			app, err := NewApp("4242", key, srv)
			if err != nil {
				t.Fatal(err)
			}

			tok, err := jwtOf(app)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := verifyJWT(tok, &key.PublicKey, "4242", githubNow())
			if err != nil {
				t.Fatalf("GitHub would reject the JWT: %v", err)
			}
			if d := claims.IssuedAt.Sub(githubNow().Add(-60 * time.Second)); d.Abs() > 2*time.Second {
				t.Errorf("iat = %v, want GitHub-now − 60 s = %v", claims.IssuedAt.Time, githubNow().Add(-60*time.Second))
			}
			if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life != 9*time.Minute {
				t.Errorf("lifetime = %v, want 9m", life)
			}

			// Reused while more than a minute of life remains.
			vc.Advance(6 * time.Minute)
			again, err := jwtOf(app)
			if err != nil {
				t.Fatal(err)
			}
			if again != tok {
				t.Error("JWT re-minted after 6 minutes; want the cached one")
			}

			// Re-minted once less than a minute remains, and valid then.
			vc.Advance(2 * time.Minute)
			fresh, err := jwtOf(app)
			if err != nil {
				t.Fatal(err)
			}
			if fresh == tok {
				t.Fatal("JWT not re-minted after 8 minutes")
			}
			if _, err := verifyJWT(fresh, &key.PublicKey, "4242", githubNow()); err != nil {
				t.Errorf("GitHub would reject the re-minted JWT: %v", err)
			}
			if _, err := verifyJWT(tok, &key.PublicKey, "4242", githubNow().Add(time.Minute)); err == nil {
				t.Error("the first JWT is still valid 9 minutes later; the test proves nothing")
			}
		})
	}
}

func TestAppJWTRemintsWhenEstimateMoves(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	vc := clock.NewVirtual(start)
	srv := clock.NewServer(vc)
	app, err := NewApp("Iv23liAbc", key, srv)
	if err != nil {
		t.Fatal(err)
	}
	first, err := jwtOf(app)
	if err != nil {
		t.Fatal(err)
	}

	// A Date header within the tolerance keeps the JWT.
	srv.ObserveTime(vc.Now().Add(10 * time.Second))
	if tok, _ := jwtOf(app); tok != first {
		t.Error("JWT re-minted after a 10 s correction")
	}

	// One showing GitHub 3 minutes behind makes the cached JWT's iat lie in
	// GitHub's future: re-mint on GitHub's time.
	github := vc.Now().Add(-3 * time.Minute)
	srv.ObserveTime(github)
	tok, err := jwtOf(app)
	if err != nil {
		t.Fatal(err)
	}
	if tok == first {
		t.Fatal("JWT not re-minted after a 3-minute correction")
	}
	if _, err := verifyJWT(tok, &key.PublicKey, "Iv23liAbc", github); err != nil {
		t.Errorf("GitHub would reject the JWT: %v", err)
	}
}

// jwtServer is a fake GitHub that accepts a request only with a JWT valid on
// its own clock, which runs skew ahead of the runner's, and refuses any other
// with GitHub's message for the reason.
type jwtServer struct {
	t     *testing.T
	vc    *clock.Virtual
	pub   *rsa.PublicKey
	appID string

	mu    sync.Mutex
	skew  time.Duration
	drift time.Duration // added to skew after each request
	// expire is how many of the next valid JWTs are refused as expired, as
	// GitHub does when the clock it judges by has passed exp.
	expire int
	// message, if set, refuses every request with it.
	message string
	bodies  []string
	auths   []string
	nows    []time.Time // GitHub's clock at each request
}

func (s *jwtServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.vc.Now().Add(s.skew)
	s.skew += s.drift
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("reading body: %v", err)
	}
	s.bodies = append(s.bodies, string(body))
	tok, _ := bearer(r)
	s.auths = append(s.auths, tok)
	s.nows = append(s.nows, now)
	msg := s.message
	if msg == "" {
		msg = refusal(tok, s.pub, s.appID, now)
	}
	if msg == "" && s.expire > 0 {
		s.expire--
		msg = msgExpired
	}
	s.mu.Unlock()

	setDate(w, now)
	if msg != "" {
		writeJSON(w, http.StatusUnauthorized, githubError(msg))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
}

// refusal returns GitHub's message for a JWT it refuses at now, or "".
func refusal(tok string, pub *rsa.PublicKey, appID string, now time.Time) string {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		return msgDecode
	}
	if c.Issuer != appID {
		return msgNoApp
	}
	if _, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()); err != nil {
		return msgDecode
	}
	switch {
	case c.ExpiresAt == nil || !c.ExpiresAt.After(now):
		return msgExpired
	case c.ExpiresAt.After(now.Add(10 * time.Minute)):
		return msgTooFar
	case c.IssuedAt == nil || c.IssuedAt.After(now):
		return msgIat
	}
	return ""
}

func (s *jwtServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func TestAppRoundTripper(t *testing.T) {
	t.Parallel()
	key, other := newKey(t), newKey(t)

	cases := []struct {
		name string
		// skew is GitHub's clock minus the runner's.
		skew time.Duration
		// drift moves GitHub's clock after every request, so every
		// response shows a clock that moved again.
		drift time.Duration
		// expire is how many valid JWTs GitHub refuses as expired.
		expire int
		// wrongKey makes the server verify with another App's key,
		// wrongApp makes it know only another App.
		wrongKey, wrongApp bool
		// message refuses every request with it.
		message string
		method  string
		body    string
		// opaque sends a body that cannot be replayed.
		opaque       bool
		wantStatus   int
		wantRequests int
		// wantReason classifies the 401 the caller gets.
		wantReason JWTReason
		// sameJWT: the retry's JWT has the claims of the refused one, so
		// it is that JWT.
		sameJWT bool
	}{
		{name: "clocks agree", wantStatus: 200, wantRequests: 1},
		{name: "small skew needs no retry", skew: 40 * time.Second, wantStatus: 200, wantRequests: 1},
		// GitHub's clock 20 s ahead is inside the tolerance, so nothing
		// told the runner to re-mint before GitHub refused the JWT.
		{name: "expired then OK", skew: 20 * time.Second, expire: 1, wantStatus: 200, wantRequests: 2},
		// A refusal whose Date agrees with the runner's estimate: the
		// JWT minted on it is the one refused, sent once more.
		{name: "expired with a Date that agrees", expire: 1, wantStatus: 200, wantRequests: 2, sameJWT: true},
		{name: "expired twice", skew: 20 * time.Second, expire: 2, wantStatus: 401, wantRequests: 2, wantReason: JWTExpired},
		{name: "runner 5 minutes ahead", skew: -5 * time.Minute, wantStatus: 200, wantRequests: 2},
		{name: "runner 9 minutes behind", skew: 9 * time.Minute, wantStatus: 200, wantRequests: 2},
		{name: "POST body is replayed", skew: 20 * time.Second, expire: 1, method: "POST", body: `{"permissions":{"contents":"read"}}`, wantStatus: 200, wantRequests: 2},
		{name: "POST body is replayed when skewed", skew: -5 * time.Minute, method: "POST", body: `{"a":1}`, wantStatus: 200, wantRequests: 2},
		{name: "opaque body is not retried", skew: 20 * time.Second, expire: 1, method: "POST", body: `{"a":1}`, opaque: true, wantStatus: 401, wantRequests: 1, wantReason: JWTExpired},
		{name: "wrong key is not retried", wrongKey: true, wantStatus: 401, wantRequests: 1, wantReason: JWTSignature},
		{name: "skewed and wrong key is not retried", skew: -5 * time.Minute, wrongKey: true, wantStatus: 401, wantRequests: 1, wantReason: JWTSignature},
		{name: "unknown app is not retried", wrongApp: true, wantStatus: 401, wantRequests: 1, wantReason: JWTIssuer},
		{name: "clock running away retries once", skew: -5 * time.Minute, drift: -5 * time.Minute, wantStatus: 401, wantRequests: 2, wantReason: JWTNotYetValid},
		{name: "unknown message is not retried", skew: -5 * time.Minute, message: "Bad credentials", wantStatus: 401, wantRequests: 1, wantReason: JWTOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vc := clock.NewVirtual(start)
			verifyWith, appID := &key.PublicKey, "77"
			if tc.wrongKey {
				verifyWith = &other.PublicKey
			}
			if tc.wrongApp {
				appID = "78"
			}
			fake := &jwtServer{t: t, vc: vc, pub: verifyWith, appID: appID, skew: tc.skew, drift: tc.drift, expire: tc.expire, message: tc.message}
			ts := httptest.NewServer(fake)
			t.Cleanup(ts.Close)

			app, err := NewApp("77", key, clock.NewServer(vc))
			if err != nil {
				t.Fatal(err)
			}
			var minted []string
			app.OnMint(func(j string) { minted = append(minted, j) })
			client := &http.Client{Transport: app.RoundTripper(ts.Client().Transport)}

			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.opaque {
					body = io.MultiReader(body) // hides the type, so no GetBody
				}
			}
			req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+"/app/hook/deliveries", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/vnd.github+json")
			before := req.Header.Clone()

			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			// go-github reads the whole body: it must be intact.
			apiErr := github.CheckResponse(resp)
			_ = resp.Body.Close()

			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if got := fake.requests(); got != tc.wantRequests {
				t.Errorf("GitHub got %d requests, want %d", got, tc.wantRequests)
			}
			if diff := cmp.Diff(before, req.Header); diff != "" {
				t.Errorf("caller's header changed (-before +after):\n%s", diff)
			}
			if resp.StatusCode == http.StatusUnauthorized {
				rej, ok := ClassifyJWTError(apiErr)
				switch {
				case !ok:
					t.Errorf("ClassifyJWTError(%v) found no rejection", apiErr)
				case rej.Reason != tc.wantReason:
					t.Errorf("reason = %v, want %v (message %q)", rej.Reason, tc.wantReason, rej.Message)
				case rej.Message == "":
					t.Error("GitHub's message was lost from the body")
				}
			}

			fake.mu.Lock()
			defer fake.mu.Unlock()
			for i, b := range fake.bodies {
				if b != tc.body {
					t.Errorf("request %d body = %q, want %q", i, b, tc.body)
				}
			}
			for i, a := range fake.auths {
				if !slices.Contains(minted, a) {
					t.Errorf("request %d carried a JWT OnMint never saw", i)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(minted)))) != len(minted) {
				t.Error("OnMint was told of one JWT twice")
			}
			if len(fake.auths) == 2 {
				if same := fake.auths[0] == fake.auths[1]; same != tc.sameJWT {
					t.Errorf("retried with the refused JWT: %v, want %v", same, tc.sameJWT)
				}
				// The retry's JWT is minted on GitHub's clock as the
				// refusal's Date showed it.
				date := fake.nows[0].Truncate(time.Second)
				c, err := jwt.ParseWithClaims(fake.auths[1], &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
					jwt.WithoutClaimsValidation())
				if err != nil {
					t.Fatal(err)
				}
				claims := c.Claims.(*jwt.RegisteredClaims)
				if d := claims.IssuedAt.Sub(date.Add(-60 * time.Second)); d < 0 || d > 2*time.Second {
					t.Errorf("retry iat = %v, want the refusal's Date (%v) − 60 s", claims.IssuedAt.Time, date)
				}
				if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life != 9*time.Minute {
					t.Errorf("retry lifetime = %v, want 9m", life)
				}
			}
		})
	}
}

// failingTransport fails every request, to check that a transport error is
// passed through and not retried.
type failingTransport struct{ calls int }

func (f *failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.calls++
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, errors.New("connection refused")
}

func TestAppRoundTripperTransportError(t *testing.T) {
	t.Parallel()
	app, err := NewApp("1", newKey(t), clock.NewServer(clock.NewVirtual(start)))
	if err != nil {
		t.Fatal(err)
	}
	ft := &failingTransport{}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://github.invalid/app", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.RoundTripper(ft).RoundTrip(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("RoundTrip succeeded, want the transport's error")
	}
	noSecrets(t, err.Error())
	if ft.calls != 1 {
		t.Errorf("transport called %d times, want 1", ft.calls)
	}
}

// TestClassifyJWTError reads each of GitHub's messages for a refused App JWT,
// and checks that only a signature or issuer refusal blames the key or app
// id.
func TestClassifyJWTError(t *testing.T) {
	t.Parallel()
	resp := func(code int) *http.Response {
		return &http.Response{StatusCode: code, Request: &http.Request{Method: "POST", URL: mustURL(t, "https://api.github.com/app/installations/1/access_tokens")}}
	}
	cases := []struct {
		name    string
		err     error
		want    JWTReason
		notJWT  bool
		advice  string
		blaming bool // says "wrong key or app id"
	}{
		{name: "expired", err: &github.ErrorResponse{Response: resp(401), Message: msgExpired}, want: JWTExpired,
			advice: "the runner's clock and GitHub's disagreed, and the retry did not help"},
		{name: "iat in the future", err: &github.ErrorResponse{Response: resp(401), Message: msgIat}, want: JWTNotYetValid,
			advice: "not yet valid"},
		{name: "exp too far", err: &github.ErrorResponse{Response: resp(401), Message: msgTooFar}, want: JWTNotYetValid,
			advice: "the retry did not help"},
		{name: "a trailing period and other case", err: &github.ErrorResponse{Response: resp(401), Message: strings.ToUpper(msgExpired) + "."}, want: JWTExpired,
			advice: "expired"},
		{name: "bad signature", err: &github.ErrorResponse{Response: resp(401), Message: msgDecode}, want: JWTSignature,
			advice: "private-key is a current key", blaming: true},
		{name: "unknown app", err: &github.ErrorResponse{Response: resp(401), Message: msgNoApp}, want: JWTIssuer,
			advice: "GitHub knows no App by app-id", blaming: true},
		{name: "iss not an integer", err: &github.ErrorResponse{Response: resp(401), Message: "'Issuer' claim ('iss') must be an Integer"}, want: JWTIssuer,
			advice: "if app-id is a client ID, use the App ID", blaming: true},
		{name: "something else", err: &github.ErrorResponse{Response: resp(401), Message: "Bad credentials"}, want: JWTOther,
			advice: "a message this action does not recognise"},
		{name: "wrapped", err: fmt.Errorf("list deliveries: %w", &github.ErrorResponse{Response: resp(401), Message: msgExpired}), want: JWTExpired,
			advice: "list deliveries: POST"},
		{name: "already classified", err: fmt.Errorf("x: %w", &JWTRejectedError{Reason: JWTIssuer, AppID: "9", Err: errors.New("e")}), want: JWTIssuer,
			advice: "app-id (9)", blaming: true},
		{name: "a 403", err: &github.ErrorResponse{Response: resp(403), Message: msgExpired}, notJWT: true},
		{name: "no response", err: &github.ErrorResponse{Message: msgExpired}, notJWT: true},
		{name: "not an API error", err: context.DeadlineExceeded, notJWT: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rej, ok := ClassifyJWTError(tc.err)
			if ok == tc.notJWT {
				t.Fatalf("ClassifyJWTError(%v) ok = %v, want %v", tc.err, ok, !tc.notJWT)
			}
			if !ok {
				return
			}
			if rej.Reason != tc.want {
				t.Errorf("reason = %v, want %v", rej.Reason, tc.want)
			}
			if rej.Reason.Clock() != (tc.want == JWTExpired || tc.want == JWTNotYetValid) {
				t.Errorf("%v.Clock() = %v", rej.Reason, rej.Reason.Clock())
			}
			msg := rej.Error()
			if !strings.Contains(msg, tc.advice) {
				t.Errorf("error %q\ndoes not contain %q", msg, tc.advice)
			}
			if got := strings.Contains(msg, "wrong key or app id"); got != tc.blaming {
				t.Errorf("error %q: blames the key or app id = %v, want %v", msg, got, tc.blaming)
			}
			if !errors.Is(rej, tc.err) && !errors.Is(tc.err, rej) {
				t.Error("the rejection and the API error are not in one chain")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAppOnMintSeesEveryJWTFirst(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC))
	app, err := NewApp("123", newKey(t), clock.NewServer(vc))
	if err != nil {
		t.Fatal(err)
	}
	var minted []string
	app.OnMint(func(j string) { minted = append(minted, j) })
	first, err := jwtOf(app)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := jwtOf(app); again != first {
		t.Fatal("JWT was re-minted within its life")
	}
	vc.Advance(8 * time.Minute)
	second, err := jwtOf(app)
	if err != nil {
		t.Fatal(err)
	}
	if len(minted) != 2 || minted[0] != first || minted[1] != second {
		t.Errorf("OnMint saw %d JWTs, want exactly the 2 minted, in order", len(minted))
	}
}
