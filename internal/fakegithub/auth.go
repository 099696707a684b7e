package fakegithub

import (
	"crypto/rsa"
	"hash/fnv"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// GitHub's messages for rejected App JWTs, as GitHub words them (no trailing
// period), with where each was seen:
//
//   - msgJWTDecode: a bad signature (the key is not the App's) or a token
//     that is not a JWT. Quoted in actions/create-github-app-token#153
//     ("A JSON web token could not be decoded - https://docs.github.com/rest")
//     and octokit/auth-app.js#375, where the signature did not match the App.
//   - msgJWTIntegration: iss names no App. Quoted in
//     octokit/authentication-strategies.js#165 and
//     actions/create-github-app-token#76.
//   - msgJWTIssuer: iss is neither a number nor a client id; quoted in
//     actions/create-github-app-token#386 (an app-id with a stray character at
//     its end). Which malformed values get this rather than
//     msgJWTIntegration is uncertain.
//   - msgJWTExp: exp missing or not in GitHub's future. Quoted in
//     sigmavirus24/github3.py#1050 and matched verbatim by octokit/auth-app.js
//     (src/hook.ts, isNotTimeSkewError), which retries on it.
//   - msgJWTExpTooFar: exp more than 10 minutes after GitHub's now (the
//     runner's clock ahead of GitHub's). Quoted as the JSON body in
//     rocq-prover/bot#204, and in octokit/auth-app.js#698 and
//     actions/create-github-app-token#178.
//   - msgJWTIat: iat missing or in GitHub's future. Quoted as the JSON body in
//     probot/probot#326 and in tibdex/github-app-token#102; matched verbatim
//     by octokit/auth-app.js (src/hook.ts).
const (
	msgJWTDecode      = "A JSON web token could not be decoded"
	msgJWTIntegration = "Integration not found"
	msgJWTIssuer      = "'Issuer' claim ('iss') must be an Integer"
	msgJWTExp         = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTExpTooFar   = "'Expiration time' claim ('exp') is too far in the future"
	msgJWTIat         = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgBadCreds       = "Bad credentials"
)

// clientIDLike is the shape of a GitHub App client id ("Iv1.…", "Iv23li…").
var clientIDLike = regexp.MustCompile(`^Iv[0-9A-Za-z]+(\.[0-9A-Za-z]+)?$`)

// maxJWTLifetime is how far ahead of GitHub's clock exp may be.
const maxJWTLifetime = 10 * time.Minute

// Credential is a token the server accepts.
type Credential struct {
	Kind        string            // "classic", "fine-grained" or "installation"
	Scopes      []string          // classic: "repo", "admin:org_hook", "admin:repo_hook", "write:repo_hook", "read:repo_hook"
	Permissions map[string]string // fine-grained/installation: "organization_hooks", "repository_hooks", "actions_variables", "contents", "metadata" -> "read" | "write"
	Owners      []string          // accounts (org or user logins, case-insensitive) it may touch; empty = any
	Repos       []string          // "owner/name" it may touch; empty = all of Owners
	ExpiresAt   time.Time         // zero = never
	// InstallationID names the installation in rate-limit messages of an
	// "installation" token (tokens minted by the server set it; default 1).
	InstallationID int64
}

type credential struct {
	Credential
	token string
}

// AddToken registers a token. Adding a token again replaces it.
func (s *Server) AddToken(token string, c Credential) {
	c.Scopes = slices.Clone(c.Scopes)
	c.Permissions = maps.Clone(c.Permissions)
	c.Owners = slices.Clone(c.Owners)
	c.Repos = slices.Clone(c.Repos)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &credential{Credential: c, token: token}
	for _, r := range c.Repos {
		s.noteRepoLocked(r)
	}
}

type app struct {
	id       int64
	clientID string
	pub      *rsa.PublicKey
}

// AddApp registers a GitHub App: JWTs it signs with the private key of pub
// and whose iss is appID (decimal) or clientID are accepted. It also creates
// the App's webhook (AppHook), which exists, possibly empty, for every App.
// All registered Apps share that one webhook.
func (s *Server) AddApp(appID int64, clientID string, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &app{id: appID, clientID: clientID, pub: pub}
	s.apps[appID] = a
	if clientID != "" {
		s.appsByClient[clientID] = a
	}
	clear(s.jwtCache) // a replaced key must not keep old JWTs valid
	s.hookLocked(AppHook())
}

// ExpiredJWTs makes GitHub refuse App JWTs it would accept as expired, in the
// middle of a run; see RejectJWTsAsExpired.
type ExpiredJWTs struct {
	// After valid App-JWT requests are let through first; the N that follow
	// are refused. Every request counts, so a client's retry uses one up.
	After, N int
	// Jump moves GitHub's clock to one second past each refused JWT's exp,
	// where it stays: the refusal's Date explains it, as when the runner's
	// clock steps back (or GitHub's forward). Without Jump the Date shows
	// GitHub's clock as before, which does not explain the refusal, as when
	// the server that judged the JWT runs ahead of the one that wrote the
	// Date.
	Jump bool
}

// RejectJWTsAsExpired sets up e: GitHub answers the refused requests as it
// answers an expired App JWT (401, its message, its Date). Refused requests
// are recorded with Credential "jwt:invalid". A call replaces what is left of
// an earlier one.
func (s *Server) RejectJWTsAsExpired(e ExpiredJWTs) {
	e.After, e.N = max(e.After, 0), max(e.N, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireJWTs = e
}

// expireJWTLocked applies RejectJWTsAsExpired to c, whose App JWT verified:
// it counts the request and, if this one is to be refused, refuses it (after
// moving GitHub's clock past the JWT's exp, with Jump).
func (s *Server) expireJWTLocked(c *call) {
	e := &s.expireJWTs
	switch {
	case e.After > 0:
		e.After--
		return
	case e.N == 0:
		return
	}
	e.N--
	if e.Jump {
		s.jump += c.who.exp.Sub(c.now) + time.Second
		c.now = s.nowLocked()
	}
	c.who = failed("jwt:invalid", "none", http.StatusUnauthorized, msgJWTExp)
}

// identity is who sent a request, as far as authentication got.
type identity struct {
	label   string      // for Requests
	rateKey string      // what rate limits are counted against
	app     *app        // set for a valid App JWT
	exp     time.Time   // the App JWT's exp
	cred    *credential // set for a valid token
	fail    *reply      // set when authentication failed
}

func (id identity) rateLimitMessage() string {
	switch {
	case id.app != nil:
		return "API rate limit exceeded for app ID " + strconv.FormatInt(id.app.id, 10) + "."
	case id.cred != nil && id.cred.Kind == "installation":
		inst := id.cred.InstallationID
		if inst == 0 {
			inst = 1
		}
		return "API rate limit exceeded for installation ID " + strconv.FormatInt(inst, 10) + "."
	case id.cred != nil:
		return "API rate limit exceeded for user ID " + strconv.FormatInt(AccountID(id.cred.token), 10) + "."
	default:
		return "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	}
}

func tokenLabel(x string) string {
	if len(x) > 4 {
		x = x[:4]
	}
	return "token:" + x + "…"
}

// bearer extracts the credential from "Bearer x" or "token x".
func bearer(header string) (string, bool) {
	scheme, x, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		return "", false
	}
	x = strings.TrimSpace(x)
	return x, x != ""
}

func looksLikeJWT(x string) bool { return strings.Count(x, ".") == 2 }

// authenticate identifies the sender. On a JWT-only route every credential is
// decoded as a JWT, as GitHub does, so a token there fails to decode.
func (s *Server) authenticate(header string, jwtRoute bool, now time.Time) identity {
	if strings.TrimSpace(header) == "" {
		return identity{label: "none", rateKey: "none"}
	}
	x, ok := bearer(header)
	if !ok {
		return failed("none", "none", http.StatusUnauthorized, msgBadCreds)
	}
	if jwtRoute || looksLikeJWT(x) {
		info, msg := s.verifyJWT(x, now)
		if info.app == nil {
			return failed("jwt:invalid", "none", http.StatusUnauthorized, msg)
		}
		label := "app:" + strconv.FormatInt(info.app.id, 10)
		return identity{label: label, rateKey: label, app: info.app, exp: info.exp.Time}
	}
	label := tokenLabel(x)
	c := s.tokens[x]
	if c == nil || (!c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)) {
		return failed(label, "none", http.StatusUnauthorized, msgBadCreds)
	}
	return identity{label: label, rateKey: "token:" + x, cred: c}
}

func failed(label, key string, status int, msg string) identity {
	rep := errorReply(status, msg, docsURL)
	return identity{label: label, rateKey: key, fail: &rep}
}

// jwtInfo caches a verified signature: RSA verification is the most
// expensive thing a request does, and clients reuse one JWT for minutes.
type jwtInfo struct {
	app      *app
	exp, iat *jwt.NumericDate
}

// verifyJWT returns what it verified of raw (the App that signed it, exp,
// iat), or the message GitHub would send.
func (s *Server) verifyJWT(raw string, now time.Time) (jwtInfo, string) {
	info, ok := s.jwtCache[raw]
	if !ok {
		var msg string
		info, msg = s.verifyJWTSignature(raw)
		if info.app == nil {
			return jwtInfo{}, msg
		}
		if len(s.jwtCache) >= 1024 {
			clear(s.jwtCache) // bound memory; re-verifying is merely slower
		}
		s.jwtCache[raw] = info
	}
	if info.exp == nil || !info.exp.After(now) {
		return jwtInfo{}, msgJWTExp
	}
	if info.exp.After(now.Add(maxJWTLifetime)) {
		return jwtInfo{}, msgJWTExpTooFar
	}
	if info.iat == nil || info.iat.After(now) {
		return jwtInfo{}, msgJWTIat
	}
	return info, ""
}

func (s *Server) verifyJWTSignature(raw string) (jwtInfo, string) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	claims := jwt.MapClaims{}
	if _, _, err := p.ParseUnverified(raw, claims); err != nil {
		return jwtInfo{}, msgJWTDecode
	}
	var a *app
	switch iss := claims["iss"].(type) {
	case string:
		id, err := strconv.ParseInt(iss, 10, 64)
		switch {
		case err == nil:
			a = s.apps[id]
		case clientIDLike.MatchString(iss):
			a = s.appsByClient[iss]
		default:
			return jwtInfo{}, msgJWTIssuer
		}
	case float64: // a numeric iss; GitHub's docs once showed one
		a = s.apps[int64(iss)]
	default:
		return jwtInfo{}, msgJWTIssuer
	}
	if a == nil {
		return jwtInfo{}, msgJWTIntegration
	}
	if _, err := p.Parse(raw, func(*jwt.Token) (any, error) { return a.pub, nil }); err != nil {
		return jwtInfo{}, msgJWTDecode
	}
	// A claim of the wrong type counts as missing.
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	return jwtInfo{app: a, exp: exp, iat: iat}, ""
}

// levels orders permission levels.
var levels = map[string]int{"read": 1, "write": 2, "admin": 3}

// need is what an endpoint requires.
type need struct {
	owner, repo string   // resource; repo is "" for organization resources
	perm, level string   // fine-grained/installation permission
	scopes      []string // classic scopes, any of which suffices
}

// authorize checks c's credential against n and returns the refusal GitHub
// would send, or nil.
func (c *call) authorize(n need) *reply {
	if c.who.app != nil {
		// An App JWT authenticates the App itself, which owns no resources.
		rep := errorReply(http.StatusForbidden, "Resource not accessible by integration", docsURL)
		return &rep
	}
	cr := c.who.cred
	if !cr.covers(n.owner, n.repo) {
		rep := notFound()
		return &rep
	}
	if cr.Kind == "classic" {
		for _, sc := range cr.Scopes {
			if slices.Contains(n.scopes, sc) {
				return nil
			}
		}
		// GitHub hides what a classic token may not see.
		rep := notFound()
		rep.setHeader("X-Accepted-OAuth-Scopes", strings.Join(n.scopes, ", "))
		return &rep
	}
	if levels[cr.Permissions[n.perm]] >= levels[n.level] {
		return nil
	}
	msg := "Resource not accessible by personal access token"
	if cr.Kind == "installation" {
		msg = "Resource not accessible by integration"
	}
	rep := errorReply(http.StatusForbidden, msg, docsURL)
	rep.setHeader("X-Accepted-GitHub-Permissions", n.perm+"="+n.level)
	return &rep
}

// covers reports whether the credential may touch owner (and owner/repo when
// repo is not empty).
func (c *credential) covers(owner, repo string) bool {
	if len(c.Owners) > 0 && !slices.ContainsFunc(c.Owners, func(o string) bool { return strings.EqualFold(o, owner) }) {
		return false
	}
	if repo == "" || len(c.Repos) == 0 {
		return true
	}
	full := owner + "/" + repo
	return slices.ContainsFunc(c.Repos, func(r string) bool { return strings.EqualFold(r, full) })
}

// RepoID is the id the fake gives repository "owner/name" (case-insensitive)
// in JSON and accepts in repository_ids. The fake has no list of
// repositories, so repository_ids resolve only repositories it has heard of:
// from hooks, variables, installations and tokens.
func RepoID(fullName string) int64 { return stableID("repo:" + strings.ToLower(fullName)) }

// AccountID is the id the fake gives an account login (case-insensitive).
func AccountID(login string) int64 { return stableID("account:" + strings.ToLower(login)) }

// stableID hashes s into a positive id below 2^31, like the ids of older
// GitHub objects.
func stableID(s string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s)) // hash writes never fail
	return int64(h.Sum64()%(1<<31-1)) + 1
}
