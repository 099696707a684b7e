package auth

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
)

const (
	// jwtBackdate is how far iat is set in the past, as GitHub recommends,
	// to absorb the small drift left after the Date-header correction.
	jwtBackdate = 60 * time.Second
	// jwtAhead is how far exp is set in the future. With the backdate the
	// lifetime is 9 minutes: under GitHub's 10-minute maximum, with a
	// minute of margin for the estimate of GitHub's clock.
	jwtAhead = 8 * time.Minute
	// jwtRenew is the remaining life below which a cached JWT is replaced,
	// so a request never carries a JWT that expires on the way.
	jwtRenew = 60 * time.Second
	// skewTolerance is how far the estimate of GitHub's clock may move
	// before a JWT minted with the old estimate is considered wrong: well
	// inside the 60 s backdate, well outside the Date header's 1 s rounding.
	skewTolerance = 30 * time.Second
)

// appIDRE is what identifies an App: its numeric App ID, or its client ID,
// "Iv1.0123456789abcdef" (older Apps) or "Iv23li…".
var appIDRE = regexp.MustCompile(`^(?:[0-9]{1,19}|Iv[0-9A-Za-z]{1,40}(?:\.[0-9A-Za-z]{1,40})?)$`)

// ValidAppID reports whether id is an App ID or a client ID. It is the one
// rule for the app-id input: the configuration checks it before a run, and
// NewApp again.
func ValidAppID(id string) bool { return appIDRE.MatchString(id) }

// App mints GitHub App JWTs (RS256, iat = GitHub-now − 60 s, exp = GitHub-now +
// 8 min, iss = the app id or client id as given).
//
// A JWT is cached and reused until less than 60 s of its life remains, so runs
// longer than GitHub's 10-minute maximum keep working. "GitHub-now" comes from
// a clock.Server, so a runner whose clock is off still mints JWTs GitHub
// accepts. App is safe for concurrent use.
type App struct {
	id  string
	key *rsa.PrivateKey
	srv *clock.Server

	onMint func(string) // told of every JWT before it is used

	mu  sync.Mutex
	jwt string
	exp time.Time     // exp claim of jwt, GitHub time
	off time.Duration // the estimate of GitHub's clock offset jwt was minted with
}

// NewApp returns an App that signs with key. appID is the numeric App ID or the
// App's client ID (both are on the App's settings page). srv may be nil, in
// which case the local clock is trusted.
func NewApp(appID string, key *rsa.PrivateKey, srv *clock.Server) (*App, error) {
	appID = strings.TrimSpace(appID)
	switch {
	case appID == "":
		return nil, &InputError{Input: "app-id", Problem: "empty; set it to the App ID or client ID shown on the App's settings page"}
	case !ValidAppID(appID):
		// An id is no secret, but what was put in app-id may be one.
		return nil, &InputError{Input: "app-id", Problem: fmt.Sprintf("%s is neither a numeric App ID nor a client ID (like \"Iv23li…\"); "+
			"copy one from the App's settings page", input.Value("app-id", appID))}
	case key == nil:
		return nil, badKey("no key given")
	}
	if srv == nil {
		srv = clock.NewServer(clock.Real{})
	}
	return &App{id: appID, key: key, srv: srv}, nil
}

// OnMint registers fn to be called with every JWT the moment it is minted,
// before it is used, so the caller can mask it in the log. Call it before the
// App is used.
func (a *App) OnMint(fn func(jwt string)) { a.onMint = fn }

// current returns a JWT that is valid for at least another 60 s of GitHub
// time, and the clock offset it was minted with. It mints a new one if the
// cached one is too old or was minted with an estimate of GitHub's clock that
// has since moved by more than 30 s.
func (a *App) current() (string, time.Duration, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	off, _ := a.srv.Offset()
	if a.jwt != "" && a.exp.Sub(a.srv.Now()) >= jwtRenew && absDuration(off-a.off) <= skewTolerance {
		return a.jwt, a.off, nil
	}
	return a.mintLocked()
}

// remint replaces the JWT unless another goroutine already replaced the one
// the caller saw rejected.
func (a *App) remint(rejected string) (string, time.Duration, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.jwt != "" && a.jwt != rejected {
		return a.jwt, a.off, nil
	}
	return a.mintLocked()
}

func (a *App) mintLocked() (string, time.Duration, error) {
	// One reading of the offset, so the JWT and the offset it is cached
	// with agree even if a Date header arrives meanwhile.
	off, _ := a.srv.Offset()
	now := a.srv.Local().Now().Add(off)
	iat, exp := now.Add(-jwtBackdate), now.Add(jwtAhead)
	claims := jwt.RegisteredClaims{
		Issuer:    a.id,
		IssuedAt:  jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(exp),
	}
	if a.jwt != "" && claims.ExpiresAt.Equal(a.exp) {
		// The same claims, in the same second: RS256 would sign them into
		// the same JWT, which OnMint has already seen. This happens when
		// GitHub refuses a JWT as expired with a Date that agrees with the
		// estimate it was minted with.
		a.off = off
		return a.jwt, off, nil
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.key)
	if err != nil {
		// The signer's error does not include the key.
		return "", 0, fmt.Errorf("signing the GitHub App JWT: %w", err)
	}
	// NumericDate rounds down to whole seconds; cache against the claim
	// GitHub will actually see.
	a.jwt, a.exp, a.off = signed, claims.ExpiresAt.Time, off
	if a.onMint != nil {
		a.onMint(signed)
	}
	return signed, off, nil
}

// RoundTripper returns a transport that sends each request with
// "Authorization: Bearer <jwt>" through next (http.DefaultTransport if nil).
//
// It records every response's Date in the clock.Server, because the JWT's
// validity is judged on GitHub's clock. If GitHub answers 401 with a message
// saying the JWT has expired or is not yet valid (see JWTReason), it re-mints
// the JWT on GitHub's clock, as just read from that answer's Date, and sends
// the request once more, provided its body can be sent again (GetBody). A
// second such 401, and any other 401, is returned as it came; the caller can
// classify it with ClassifyJWTError.
func (a *App) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &appTransport{app: a, next: next}
}

type appTransport struct {
	app  *App
	next http.RoundTripper
}

func (t *appTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, _, err := t.app.current()
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.next.RoundTrip(withBearer(req, tok))
	if err != nil {
		return nil, err
	}
	t.app.srv.Observe(resp.Header)
	if resp.StatusCode != http.StatusUnauthorized || !replayable(req) {
		return resp, nil
	}
	if reason := jwtReason(peekMessage(resp)); !reason.Clock() {
		// A wrong key or app id: sending it again cannot help.
		return resp, nil
	}

	// GitHub judged iat or exp on a clock other than the one the JWT was
	// minted on. Its Date, just observed, says what its clock reads: one
	// retry with a JWT minted on it should pass. Only one: if GitHub still
	// disagrees, the caller must see it.
	tok, _, err = t.app.remint(tok)
	if err != nil {
		return resp, nil
	}
	retry := withBearer(req, tok)
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		retry.Body = body
	}
	drainClose(resp.Body)
	resp, err = t.next.RoundTrip(retry)
	if err != nil {
		return nil, err
	}
	t.app.srv.Observe(resp.Header)
	return resp, nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
