package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
)

// installRenew is the remaining life (of an hour) below which an installation
// token is replaced: enough that a request, with its retries and rate-limit
// waits, never outlives the token it was sent with.
const installRenew = 5 * time.Minute

// Permissions are the permissions an installation token asks for, keyed as the
// REST API names them ("organization_hooks", "repository_hooks",
// "actions_variables", "contents") with the level ("read", "write") as value.
//
// It is a map rather than github.InstallationPermissions because go-github v62
// has no field for "actions_variables", which the checkpoint needs. An empty
// Permissions asks for everything the installation was granted.
type Permissions map[string]string

// String lists the permissions in a stable order, e.g.
// "actions_variables: write, repository_hooks: write".
func (p Permissions) String() string {
	if len(p) == 0 {
		return "all of the installation's permissions"
	}
	names := make([]string, 0, len(p))
	for name := range p {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		names[i] = name + ": " + p[name]
	}
	return strings.Join(names, ", ")
}

// Scope says which installation a token is for and what it may do.
type Scope struct {
	// Org finds the installation with GET /orgs/{org}/installation.
	Org string
	// Owner and Repo find it with GET /repos/{owner}/{repo}/installation,
	// and the token is restricted to that one repository.
	Owner, Repo string
	// InstallationID, if set, skips the lookup.
	InstallationID int64
	// Permissions are asked for exactly; ask for the narrowest that work.
	Permissions Permissions
}

// String names the scope's target for messages.
func (s Scope) String() string {
	switch {
	case s.Repo != "":
		return fmt.Sprintf("repository %q", s.Owner+"/"+s.Repo)
	case s.Org != "":
		return fmt.Sprintf("organization %q", s.Org)
	default:
		return fmt.Sprintf("installation %d", s.InstallationID)
	}
}

func (s Scope) validate() error {
	switch {
	case (s.Owner == "") != (s.Repo == ""):
		return fmt.Errorf("auth: scope needs both owner and repository, got owner %q and repository %q", s.Owner, s.Repo)
	case s.Org != "" && s.Repo != "":
		return fmt.Errorf("auth: scope names both organization %q and repository %q; use one", s.Org, s.Owner+"/"+s.Repo)
	case s.Org == "" && s.Repo == "" && s.InstallationID == 0:
		return errors.New("auth: scope names no organization, repository or installation")
	case s.InstallationID < 0:
		return fmt.Errorf("auth: installation id %d is negative", s.InstallationID)
	}
	return nil
}

// key identifies equal scopes, which share one token. Logins and repository
// names are case-insensitive on GitHub.
func (s Scope) key() string {
	return fmt.Sprintf("%d|%s|%s/%s|%s", s.InstallationID, strings.ToLower(s.Org),
		strings.ToLower(s.Owner), strings.ToLower(s.Repo), s.Permissions)
}

// lookupKey identifies the installation lookup a scope needs, so scopes that
// differ only in permissions look the installation up once.
func (s Scope) lookupKey() string {
	if s.Repo != "" {
		return "repo:" + strings.ToLower(s.Owner+"/"+s.Repo)
	}
	return "org:" + strings.ToLower(s.Org)
}

// Installations mints installation access tokens with a client authenticated
// as the App, caches them per scope and replaces them before they expire. It is
// safe for concurrent use.
type Installations struct {
	client *github.Client
	srv    *clock.Server
	onMint func(token string)
	appID  string

	mu      sync.Mutex
	tokens  map[string]*installToken
	lookups map[string]*lookup
}

type installToken struct {
	// mu is held while minting, so at most one mint per scope is in flight
	// and concurrent requests wait for its result instead of minting too.
	mu      sync.Mutex
	token   string
	expires time.Time // GitHub time
}

type lookup struct {
	mu sync.Mutex
	id int64
}

// InstallationsOption configures NewInstallations.
type InstallationsOption func(*Installations)

// WithAppID names the App in error messages ("the GitHub App (app-id 123) is
// not installed on …"), so the user knows which App to install or check.
func WithAppID(id string) InstallationsOption {
	return func(i *Installations) { i.appID = id }
}

// NewInstallations returns an Installations that mints tokens with client, a
// go-github client authenticated as the App (its transport is
// App.RoundTripper). onMint, if not nil, is called with every token the moment
// it is minted, before it is used or anything else is logged, so the caller can
// mask it. srv gives GitHub's time for expiry; nil means the local clock.
func NewInstallations(client *github.Client, srv *clock.Server, onMint func(token string), opts ...InstallationsOption) *Installations {
	if srv == nil {
		srv = clock.NewServer(clock.Real{})
	}
	i := &Installations{
		client:  client,
		srv:     srv,
		onMint:  onMint,
		tokens:  make(map[string]*installToken),
		lookups: make(map[string]*lookup),
	}
	for _, opt := range opts {
		opt(i)
	}
	return i
}

// RoundTripper returns a transport that sends each request through next
// (http.DefaultTransport if nil) with "Authorization: Bearer <token>", where the
// token is an installation token for scope: minted on first use, cached, and
// replaced when less than 5 minutes of its hour remain. Equal scopes share one
// token, and scopes on the same organization or repository share one lookup.
func (i *Installations) RoundTripper(scope Scope, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	t := &installTransport{i: i, scope: scope, next: next, err: scope.validate()}
	if t.err == nil {
		t.entry = i.tokenEntry(scope.key())
	}
	return t
}

type installTransport struct {
	i     *Installations
	scope Scope
	next  http.RoundTripper
	entry *installToken
	err   error
}

func (t *installTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.err != nil {
		closeBody(req)
		return nil, t.err
	}
	tok, err := t.i.token(req.Context(), t.entry, t.scope)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.next.RoundTrip(withBearer(req, tok))
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// The token was revoked or expired early: forget it so the next
		// request mints a fresh one. This request is not retried; its
		// caller sees the 401.
		t.entry.mu.Lock()
		if t.entry.token == tok {
			t.entry.token = ""
		}
		t.entry.mu.Unlock()
	}
	return resp, err
}

func (i *Installations) tokenEntry(key string) *installToken {
	i.mu.Lock()
	defer i.mu.Unlock()
	e, ok := i.tokens[key]
	if !ok {
		e = new(installToken)
		i.tokens[key] = e
	}
	return e
}

func (i *Installations) lookupEntry(key string) *lookup {
	i.mu.Lock()
	defer i.mu.Unlock()
	e, ok := i.lookups[key]
	if !ok {
		e = new(lookup)
		i.lookups[key] = e
	}
	return e
}

// token returns a cached token with enough life left, or mints one.
func (i *Installations) token(ctx context.Context, e *installToken, scope Scope) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token != "" && e.expires.Sub(i.srv.Now()) >= installRenew {
		return e.token, nil
	}
	id, err := i.installationID(ctx, scope)
	if err != nil {
		return "", err
	}
	tok, expires, err := i.mint(ctx, id, scope)
	if err != nil {
		return "", err
	}
	e.token, e.expires = tok, expires
	return tok, nil
}

// installationID returns the scope's installation, looking it up once per
// organization or repository.
func (i *Installations) installationID(ctx context.Context, scope Scope) (int64, error) {
	if scope.InstallationID != 0 {
		return scope.InstallationID, nil
	}
	e := i.lookupEntry(scope.lookupKey())
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.id != 0 {
		return e.id, nil
	}

	var (
		inst *github.Installation
		err  error
	)
	if scope.Repo != "" {
		inst, _, err = i.client.Apps.FindRepositoryInstallation(ctx, scope.Owner, scope.Repo)
	} else {
		inst, _, err = i.client.Apps.FindOrganizationInstallation(ctx, scope.Org)
	}
	if err != nil {
		return 0, refused(i.explain(scope, 0, err))
	}
	if inst.GetID() == 0 {
		return 0, fmt.Errorf("finding the GitHub App installation for %s: GitHub returned no installation id", scope)
	}
	e.id = inst.GetID()
	return e.id, nil
}

// tokenRequest is the body of POST /app/installations/{id}/access_tokens.
// go-github's InstallationTokenOptions cannot carry "actions_variables".
type tokenRequest struct {
	Repositories []string    `json:"repositories,omitempty"`
	Permissions  Permissions `json:"permissions,omitempty"`
}

// mint creates an installation token and hands it to onMint before anything
// else sees it.
func (i *Installations) mint(ctx context.Context, id int64, scope Scope) (string, time.Time, error) {
	body := tokenRequest{Permissions: scope.Permissions}
	if scope.Repo != "" {
		// Restrict the token to the one repository it is for.
		body.Repositories = []string{scope.Repo}
	}
	req, err := i.client.NewRequest(http.MethodPost, fmt.Sprintf("app/installations/%d/access_tokens", id), body)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("creating an installation token for %s: %w", scope, err)
	}
	var it github.InstallationToken
	resp, err := i.client.Do(ctx, req, &it)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			// The installation was looked up a moment ago; it was removed
			// since.
			i.forgetLookup(scope)
		}
		return "", time.Time{}, refused(i.explain(scope, id, err))
	}
	tok := it.GetToken()
	if tok == "" {
		return "", time.Time{}, fmt.Errorf("creating an installation token for %s: GitHub returned no token", scope)
	}
	if i.onMint != nil {
		i.onMint(tok)
	}
	expires := it.GetExpiresAt().Time
	if expires.IsZero() {
		// Documented lifetime; GitHub always sends expires_at, but a
		// missing one must not make the token look expired forever.
		expires = i.srv.Now().Add(time.Hour)
	}
	return tok, expires, nil
}

// app names the App in messages.
func (i *Installations) app() string {
	if i.appID == "" {
		return "the GitHub App"
	}
	return fmt.Sprintf("the GitHub App (app-id %s)", i.appID)
}

// explain adds to an API error of finding the installation (id 0) or of
// minting a token for installation id what the user can do about it: which
// installation, permission or input is at fault. A 401 is GitHub refusing
// the App JWT: a *JWTRejectedError's advice blames app-id or private-key
// only when GitHub refused the signature or the issuer.
func (i *Installations) explain(scope Scope, id int64, err error) error {
	doing := fmt.Sprintf("finding the GitHub App installation for %s", scope)
	if id != 0 {
		doing = fmt.Sprintf("creating an installation token for %s", scope)
	}
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	switch code := er.Response.StatusCode; {
	case code == http.StatusUnauthorized:
		if rej, ok := ClassifyJWTError(err); ok {
			out := *rej
			out.AppID = i.appID
			return fmt.Errorf("%s: %w", doing, &out)
		}
	case code == http.StatusNotFound && id == 0 && scope.Repo != "":
		return fmt.Errorf("%s is not installed on repository %q: install it on %q and make sure the installation "+
			"includes that repository, or set installation-id: %w", i.app(), scope.Owner+"/"+scope.Repo, scope.Owner, err)
	case code == http.StatusNotFound && id == 0:
		return fmt.Errorf("%s is not installed on organization %q: install it on that account, or set installation-id: %w",
			i.app(), scope.Org, err)
	case code == http.StatusNotFound && scope.InstallationID != 0:
		return fmt.Errorf("installation %d of %s was not found: check installation-id, or leave it empty "+
			"to look the installation up: %w", id, i.app(), err)
	case code == http.StatusNotFound:
		return fmt.Errorf("installation %d of %s for %s was not found (uninstalled?): %w", id, i.app(), scope, err)
	case code == http.StatusForbidden && id != 0 && strings.Contains(strings.ToLower(er.Message), "suspended"):
		return fmt.Errorf("GitHub refused an installation token for %s: installation %d of %s is suspended; an owner of "+
			"the account can unsuspend it on the installation's Configure page (the account's settings, GitHub Apps), "+
			"unless the App's owner suspended it: %w", scope, id, i.app(), err)
	case code == http.StatusUnprocessableEntity && id != 0:
		msg := fmt.Sprintf("GitHub refused an installation token for %s with permissions %s: grant them in the App's "+
			"settings (Permissions & events) and accept them on the installation (its Configure page in the "+
			"account's settings)", scope, scope.Permissions)
		if scope.Repo != "" {
			msg += fmt.Sprintf("; the installation must also include repository %q", scope.Owner+"/"+scope.Repo)
		}
		return fmt.Errorf("%s: %w", msg, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// RefusedError is GitHub answering a request for an installation, or for
// an installation token, with a 4xx status: the App is not installed there,
// the installation lacks a permission asked for or is suspended, or GitHub
// refused the App JWT. Sending the same request again cannot help, so the
// transports above do not retry it (Permanent) and the run stops with it.
// Its message says what was asked, what GitHub answered (status and
// message) and what to do; it wraps the *github.ErrorResponse.
type RefusedError struct {
	Status int // GitHub's HTTP status
	err    error
}

func (e *RefusedError) Error() string { return e.err.Error() }
func (e *RefusedError) Unwrap() error { return e.err }

// Permanent reports that sending the request again cannot help: a transport
// that retries network errors (ghtransport) returns this error at once.
func (e *RefusedError) Permanent() bool { return true }

// refused makes err, an explained API error, a *RefusedError when GitHub
// answered with a 4xx status. Rate limits never get here: the App's
// transport waits them out or fails with a *ghtransport.LimitError, which
// the transports above do not retry either.
func refused(err error) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode >= 400 && er.Response.StatusCode < 500 {
		return &RefusedError{Status: er.Response.StatusCode, err: err}
	}
	return err
}

func (i *Installations) forgetLookup(scope Scope) {
	if scope.InstallationID != 0 {
		return
	}
	e := i.lookupEntry(scope.lookupKey())
	e.mu.Lock()
	e.id = 0
	e.mu.Unlock()
}
