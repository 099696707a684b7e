package fakegithub

import (
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// start is the virtual time tests begin at.
var start = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// Keys are generated once per test binary (2048-bit generation is slow) and
// never written anywhere.
var (
	testKey  = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	otherKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

func key(t testing.TB, f func() (*rsa.PrivateKey, error)) *rsa.PrivateKey {
	t.Helper()
	k, err := f()
	if err != nil {
		t.Fatalf("generating RSA key: %v", err)
	}
	return k
}

// newServer starts a fake on a virtual clock and fails the test on any
// request no route matched.
func newServer(t testing.TB, opts Options) (*Server, *clock.Virtual) {
	t.Helper()
	vc := clock.NewVirtual(start)
	if opts.Clock == nil {
		opts.Clock = vc
	}
	s := New(opts)
	t.Cleanup(func() {
		s.Close()
		if err := s.Err(); err != nil {
			t.Error(err)
		}
	})
	return s, vc
}

// newClient returns a go-github client for s authenticating with token
// (a JWT or a token; "" for none).
func newClient(t testing.TB, s *Server, token string) *github.Client {
	t.Helper()
	c := github.NewClient(&http.Client{Timeout: 10 * time.Second})
	if token != "" {
		c = c.WithAuthToken(token)
	}
	if strings.HasSuffix(s.URL(), "/api/v3/") {
		var err error
		if c, err = c.WithEnterpriseURLs(s.URL(), s.URL()); err != nil {
			t.Fatalf("setting enterprise URLs: %v", err)
		}
		return c
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatalf("parsing server URL: %v", err)
	}
	c.BaseURL = u
	return c
}

// appJWT signs a JWT for appID valid at now the way the action mints them.
func appJWT(t testing.TB, k *rsa.PrivateKey, iss string, now time.Time) string {
	t.Helper()
	return signJWT(t, k, jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": iss,
		"iat": now.Add(-60 * time.Second).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
	})
}

func signJWT(t testing.TB, k any, m jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(k)
	if err != nil {
		t.Fatalf("signing JWT: %v", err)
	}
	return s
}

// do sends a raw request to path (relative to URL()) and returns the
// response with its body read.
func do(t testing.TB, s *Server, method, path, token, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body of %s %s: %v", method, path, err)
	}
	return resp, string(b)
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

// classic returns a registered classic token with scopes.
func addToken(s *Server, name string, c Credential) string {
	s.AddToken(name, c)
	return name
}
