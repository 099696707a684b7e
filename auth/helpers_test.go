package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// start is the virtual clock's origin in every test: a fixed instant, so a
// failure is reproducible, and far from the real time, so a test that reads the
// wall clock by mistake fails.
var start = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// GitHub's messages for refused App JWTs; see JWTReason for where each was
// seen.
const (
	msgExpired = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgIat     = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgTooFar  = "'Expiration time' claim ('exp') is too far in the future"
	msgDecode  = "A JSON web token could not be decoded"
	msgNoApp   = "Integration not found"
)

// newKey generates a key for one test; no key is ever committed.
func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// verifyJWT checks an App JWT the way GitHub does, on GitHub's clock now: RS256
// only, signed by pub, iss as expected, iat not in the future, exp in the
// future but at most 10 minutes ahead, and a lifetime of at most 10 minutes.
func verifyJWT(tok string, pub *rsa.PublicKey, iss string, now time.Time) (*jwt.RegisteredClaims, error) {
	var c jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(iss),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, err
	}
	if c.IssuedAt == nil {
		return nil, errors.New("no iat")
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life > 10*time.Minute {
		return nil, fmt.Errorf("lifetime %v is over 10 minutes", life)
	}
	if ahead := c.ExpiresAt.Sub(now); ahead > 10*time.Minute {
		return nil, fmt.Errorf("exp is %v ahead, over 10 minutes", ahead)
	}
	return &c, nil
}

// bearer returns the credential of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	return strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// setDate makes a test server report its own clock, as GitHub's Date header
// does; without it net/http would send the wall clock.
func setDate(w http.ResponseWriter, now time.Time) {
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
}

// writeJSON answers like GitHub: a JSON body with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// githubError is GitHub's error body.
func githubError(message string) map[string]string {
	return map[string]string{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest",
	}
}

// noSecrets fails the test if msg contains anything that looks like a JWT or
// an installation token.
func noSecrets(t *testing.T, msg string) {
	t.Helper()
	for _, s := range []string{"eyJ", "ghs_", "Bearer"} {
		if strings.Contains(msg, s) {
			t.Errorf("message contains %q: %s", s, msg)
		}
	}
}

// jwtOf returns the JWT app would send now.
func jwtOf(app *App) (string, error) {
	tok, _, err := app.current()
	return tok, err
}
