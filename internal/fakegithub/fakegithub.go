// Package fakegithub is a faithful fake of the part of GitHub's REST API that
// hook-redeliver uses: webhook deliveries (App, organization and repository
// hooks) with cursor pagination, redelivery, repository and organization
// Actions variables, repository dispatch, and the GitHub App endpoints that
// list an App's installations and turn a JWT into an installation token.
//
// It is a real HTTP server on 127.0.0.1 so that the production client code
// (go-github, the auth transport, retries) runs unchanged against it. It
// answers with GitHub's JSON shapes, status codes and headers, verifies App
// JWTs, enforces token permissions, counts rate limits, and can inject the
// faults GitHub is known for (5xx, secondary limits, lost responses, clock
// skew, listing lag). Time is read from a clock.Clock so that tests and the
// demo can run hours of GitHub time in milliseconds.
//
// The fake records every request it receives; tests should fail on
// Err() != nil so that a request no route matched does not go unnoticed.
//
// go-github compares X-RateLimit-Reset and Retry-After with the real clock:
// after it sees a primary limit (Remaining 0) or a secondary limit it refuses
// further requests locally, for real time, even when the fake runs on a
// virtual clock. Tests of those paths need a fresh client, or a virtual
// clock that starts in the past.
package fakegithub

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// Documentation URLs GitHub puts in error bodies. go-github recognises a
// secondary rate limit by the suffix of the second one, so it must stay exact.
const (
	docsURL          = "https://docs.github.com/rest"
	rateDocsURL      = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	secondaryDocsURL = rateDocsURL + "#about-secondary-rate-limits"
)

// maxBody bounds what the fake reads of a request body; the largest legal
// body (a 48 KiB variable value, JSON-escaped) is far below it.
const maxBody = 1 << 20

// defaultRateLimit is what X-RateLimit-Limit says when no primary limit is
// configured: GitHub's limit for a personal token.
const defaultRateLimit = 5000

// Options configures a Server.
type Options struct {
	Clock      clock.Clock // default clock.Real{}
	PathPrefix string      // "" serves at the root like api.github.com; "/api/v3" like Enterprise Server
	Seed       int64       // seeds fault randomness (math/rand/v2 PCG), so runs are reproducible
	Faults     Faults
}

// Faults are the misbehaviours the server injects. The zero value injects
// none.
type Faults struct {
	Latency              time.Duration // every request waits this long on Options.Clock (a virtual clock just advances)
	ServerErrorRate      float64       // probability that any request gets a 500/502/503 (chosen at random) before being handled
	LostResponseRate     float64       // redelivery POSTs only: the redelivery IS performed but the answer is a 502 (outcome unknown to the client)
	SecondaryLimitRate   float64       // probability a request trips a secondary rate limit
	SecondaryLimitStatus int           // 403 (default) or 429
	// RetryAfter is the Retry-After of secondary limits; default 60s. While the
	// limit lasts (until trip time + RetryAfter, GitHub time) every request
	// from that credential gets the same limit answer, with Retry-After
	// counting down.
	RetryAfter    time.Duration
	PrimaryLimit  int           // requests per credential per hour window; 0 = unlimited (headers still sent with limit 5000)
	ClockOffset   time.Duration // GitHub's clock = Options.Clock.Now() + ClockOffset (+ any Jump of RejectJWTsAsExpired)
	VisibilityLag time.Duration // a delivery is listed only once GitHub now >= DeliveredAt + VisibilityLag
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // without PathPrefix
	Query  url.Values
	// Credential names who sent it without revealing a secret: "app:123" for
	// an App JWT, "token:ghp_…" (first 4 characters) for a token,
	// "jwt:invalid" for a JWT that did not verify, "none" when anonymous.
	Credential string
	// Installation is the installation whose token sent it; 0 for any
	// other credential.
	Installation int64
	Status       int
	At           time.Time // GitHub time
}

// Redelivery is a redelivery the server performed.
type Redelivery struct {
	Hook        HookRef
	RequestedID int64  // the delivery id the client asked to redeliver
	GUID        string // shared by every attempt of the event
	NewID       int64  // id of the attempt the redelivery created
	At          time.Time
	Status      string // outcome the receiver reported
	Answered    int    // status code sent to the client (202, or 502 for a lost response)
}

// Dispatch is a repository_dispatch event the server accepted.
type Dispatch struct {
	Owner, Repo, EventType string
	ClientPayload          json.RawMessage
}

// Server is the fake GitHub API. All methods are safe for concurrent use.
type Server struct {
	ts     *httptest.Server
	clk    clock.Clock
	prefix string
	seed   int64

	mu       sync.Mutex
	faults   Faults
	rng      *rand.Rand
	receiver func(d Delivery, attempt int) (status string, statusCode int)
	strs     interner
	nextID   int64 // next delivery id
	seq      uint64

	hooks         map[hookKey]*hook
	apps          map[int64]*app
	appsByClient  map[string]*app
	jwtCache      map[string]jwtInfo
	expireJWTs    ExpiredJWTs   // see RejectJWTsAsExpired
	jump          time.Duration // how far RejectJWTsAsExpired moved GitHub's clock
	tokens        map[string]*credential
	installations map[int64]*installation
	variables     map[string]map[string]*variable    // "owner/repo" (lower case) -> NAME -> variable
	orgVariables  map[string]map[string]*orgVariable // org (lower case) -> NAME -> variable
	knownRepos    map[string]string                  // "owner/repo" (lower case) -> as first spelled
	windows       map[string]*rateWindow
	secondary     map[string]secondaryLimit // by credential key

	requests     []Request
	redeliveries []Redelivery
	dispatches   []Dispatch
	unexpected   []string
}

// New starts a server on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		clk:           opts.Clock,
		prefix:        normalizePrefix(opts.PathPrefix),
		seed:          opts.Seed,
		faults:        opts.Faults,
		rng:           rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15)),
		nextID:        firstDeliveryID,
		hooks:         make(map[hookKey]*hook),
		apps:          make(map[int64]*app),
		appsByClient:  make(map[string]*app),
		jwtCache:      make(map[string]jwtInfo),
		tokens:        make(map[string]*credential),
		installations: make(map[int64]*installation),
		variables:     make(map[string]map[string]*variable),
		orgVariables:  make(map[string]map[string]*orgVariable),
		knownRepos:    make(map[string]string),
		windows:       make(map[string]*rateWindow),
		secondary:     make(map[string]secondaryLimit),
	}
	if s.clk == nil {
		s.clk = clock.Real{}
	}
	s.strs.init()
	// Start after s.ts is set: handlers read s.ts.URL, and the goroutines
	// Start spawns are ordered after this assignment.
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.Start()
	return s
}

// normalizePrefix turns "api/v3/" and "/api/v3" into "/api/v3", and "/" into "".
func normalizePrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// URL returns the base API URL including PathPrefix and a trailing slash, as
// go-github's BaseURL wants it.
func (s *Server) URL() string { return s.ts.URL + s.prefix + "/" }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Now returns GitHub's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time { return s.clk.Now().Add(s.faults.ClockOffset + s.jump) }

// SetFaults replaces the injected faults. Rate-limit windows and secondary
// limits already running are kept.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// SetReceiver decides the outcome of each redelivery: d is the delivery being
// redelivered, attempt is the number of deliveries of that GUID including the
// new one. Default: every redelivery succeeds ("OK", 200). fn is called with
// the server locked, so it must not call the Server's methods.
func (s *Server) SetReceiver(fn func(d Delivery, attempt int) (status string, statusCode int)) {
	s.mu.Lock()
	s.receiver = fn
	s.mu.Unlock()
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Redeliveries returns every redelivery the server performed, including those
// whose answer was lost.
func (s *Server) Redeliveries() []Redelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Redelivery(nil), s.redeliveries...)
}

// Dispatches returns every repository_dispatch accepted.
func (s *Server) Dispatches() []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Dispatch(nil), s.dispatches...)
}

// Unexpected returns the requests no route matched, as "METHOD /path?query".
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

// Err reports the requests no route matched, so that a test can fail on a
// request the fake does not serve instead of on a confusing 404 later.
func (s *Server) Err() error {
	u := s.Unexpected()
	if len(u) == 0 {
		return nil
	}
	return fmt.Errorf("fakegithub: %d unexpected request(s): %s", len(u), strings.Join(u, ", "))
}

// reply is a response decided with the server locked and written after it
// is unlocked, so that slow clients do not hold the lock.
type reply struct {
	status int
	header http.Header // extra headers
	body   []byte
	pooled *[]byte // returned to bufPool once written
}

func (r *reply) setHeader(k, v string) {
	if r.header == nil {
		r.header = make(http.Header, 4)
	}
	r.header.Set(k, v)
}

// call is one request being served.
type call struct {
	s      *Server
	r      *http.Request
	body   []byte
	now    time.Time
	path   string   // without PathPrefix
	params []string // path parameters in pattern order
	who    identity
}

// ServeHTTP serves the fake API. It is exported so that the fake can also be
// mounted in another server; Link headers and object URLs still point at
// URL().
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	latency := s.faults.Latency
	s.mu.Unlock()
	if latency > 0 {
		// A virtual clock just advances; a real one makes the client wait.
		if err := s.clk.Sleep(r.Context(), latency); err != nil {
			return // the client gave up
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, fmt.Sprintf("reading request body: %v", err), http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	c := &call{s: s, r: r, body: body, now: s.nowLocked()}
	s.seq++
	requestID := s.requestID(s.seq)
	rep := s.serve(c, requestID)
	path := c.path
	if path == "" {
		path = r.URL.Path
	}
	var installation int64
	if cr := c.who.cred; cr != nil && cr.Kind == "installation" {
		installation = cr.InstallationID
	}
	s.requests = append(s.requests, Request{
		Method:       r.Method,
		Path:         path,
		Query:        r.URL.Query(),
		Credential:   c.who.label,
		Installation: installation,
		Status:       rep.status,
		At:           c.now,
	})
	s.mu.Unlock()

	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	// Go's server keeps an explicitly set Date, so clients see GitHub's
	// (possibly virtual, possibly skewed) clock as they would for real.
	h.Set("Date", c.now.UTC().Format(http.TimeFormat))
	h.Set("X-GitHub-Request-Id", requestID)
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	if len(rep.body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 {
		_, _ = w.Write(rep.body) // the client went away; nothing to do
	}
	if rep.pooled != nil {
		*rep.pooled = rep.body[:0]
		bufPool.Put(rep.pooled)
	}
}

// requestID formats a request id shaped like GitHub's
// ("E2A8:2A8D:9C3F1B:A2D4C1:6738A1F2").
func (s *Server) requestID(seq uint64) string {
	b := make([]byte, 0, 40)
	b = appendHexPad(b, uint64(s.seed)&0xffff, 4)
	b = append(b, ':')
	b = appendHexPad(b, (seq>>16)&0xffff, 4)
	b = append(b, ':')
	b = appendHexPad(b, seq&0xffffff, 6)
	b = append(b, ':')
	b = appendHexPad(b, (seq*0x9E3779B1)&0xffffff, 6)
	b = append(b, ':')
	b = appendHexPad(b, (seq*0x85EBCA77)&0xffffffff, 8)
	return string(b)
}

func appendHexPad(b []byte, v uint64, width int) []byte {
	const hex = "0123456789ABCDEF"
	for i := width - 1; i >= 0; i-- {
		b = append(b, hex[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// serve decides the answer to c; the server is locked.
func (s *Server) serve(c *call, requestID string) reply {
	path, ok := c.r.URL.Path, true
	if s.prefix != "" {
		path, ok = strings.CutPrefix(path, s.prefix)
	}
	rt, params := (*route)(nil), []string(nil)
	if ok && strings.HasPrefix(path, "/") {
		rt, params = match(c.r.Method, path)
	}
	if ok {
		c.path = path
	}
	c.params = params
	f := s.faults
	limit := f.PrimaryLimit

	// Authenticate first so that every answer, even a 404 for an unknown
	// route or a 5xx, carries the credential's rate-limit headers.
	c.who = s.authenticate(c.r.Header.Get("Authorization"), rt != nil && rt.jwt, c.now)
	if c.who.app != nil {
		s.expireJWTLocked(c)
	}
	win := s.window(c.who.rateKey, c.now)
	if rt == nil {
		s.unexpected = append(s.unexpected, c.r.Method+" "+c.r.URL.RequestURI())
		win.used++
		rep := errorReply(http.StatusNotFound, "Not Found", docsURL)
		s.rateHeaders(&rep, win, limit)
		return rep
	}
	if f.ServerErrorRate > 0 && s.rng.Float64() < f.ServerErrorRate {
		// GitHub did not get to the request, so it is not counted.
		code := [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[s.rng.IntN(3)]
		rep := reply{status: code, body: []byte(`{"message":"Server Error"}`)}
		s.rateHeaders(&rep, win, limit)
		return rep
	}
	if limit > 0 && win.used >= limit {
		rep := errorReply(http.StatusForbidden, c.who.rateLimitMessage(), rateDocsURL)
		s.rateHeaders(&rep, win, limit)
		return rep
	}
	win.used++

	rep := s.limitedOrServe(c, rt, requestID)
	s.rateHeaders(&rep, win, limit)
	if c.who.cred != nil && c.who.cred.Kind == "classic" {
		rep.setHeader("X-OAuth-Scopes", strings.Join(c.who.cred.Scopes, ", "))
	}
	return rep
}

// secondaryLimit is a tripped secondary rate limit: until it ends, every
// request of the credential gets the same answer.
type secondaryLimit struct {
	until  time.Time
	status int
}

// limitedOrServe applies authentication failures and secondary limits, then
// hands the request to its route.
func (s *Server) limitedOrServe(c *call, rt *route, requestID string) reply {
	if c.who.fail != nil {
		return *c.who.fail
	}
	f := s.faults
	key := c.who.rateKey
	lim, limited := s.secondary[key]
	if !limited || !c.now.Before(lim.until) {
		limited = false
		if f.SecondaryLimitRate > 0 && s.rng.Float64() < f.SecondaryLimitRate {
			retry := f.RetryAfter
			if retry <= 0 {
				retry = 60 * time.Second
			}
			lim = secondaryLimit{until: c.now.Add(retry), status: f.SecondaryLimitStatus}
			if lim.status == 0 {
				lim.status = http.StatusForbidden
			}
			s.secondary[key], limited = lim, true
		}
	}
	if limited {
		rep := errorReply(lim.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "+requestID+".", secondaryDocsURL)
		secs := int64(math.Ceil(lim.until.Sub(c.now).Seconds()))
		rep.setHeader("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		return rep
	}
	if rt.jwt {
		if c.who.app == nil { // anonymous: tokens were already rejected as undecodable JWTs
			return errorReply(http.StatusUnauthorized, msgJWTDecode, docsURL)
		}
	} else if c.who.app == nil && c.who.cred == nil {
		return errorReply(http.StatusUnauthorized, "Requires authentication", docsURL)
	}
	return rt.handle(c)
}

// errorReply is GitHub's error body: message, documentation_url and the
// status as a string (added by GitHub in 2023; clients ignore it).
func errorReply(status int, message, doc string) reply {
	b := make([]byte, 0, 96+len(message))
	b = append(b, `{"message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"documentation_url":`...)
	b = appendJSONString(b, doc)
	b = append(b, `,"status":"`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `"}`...)
	return reply{status: status, body: b}
}

// validationReply is GitHub's 422 with an errors list naming the field.
func validationReply(resource, field, code, doc string) reply {
	b, err := json.Marshal(map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{{"resource": resource, "field": field, "code": code}},
		"documentation_url": doc,
		"status":            "422",
	})
	if err != nil {
		return errorReply(http.StatusUnprocessableEntity, "Validation Failed", doc)
	}
	return reply{status: http.StatusUnprocessableEntity, body: b}
}

// jsonReply encodes v with encoding/json; used for the small, rarely called
// endpoints where reflection costs nothing that matters.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error in the fake gets here; make it loud.
		return errorReply(http.StatusInternalServerError, "fakegithub: encoding response: "+err.Error(), docsURL)
	}
	return reply{status: status, body: b}
}

func notFound() reply { return errorReply(http.StatusNotFound, "Not Found", docsURL) }
