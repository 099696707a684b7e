package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/target"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Config is every input of the action. The env keys are the inputs'
// names upper-cased with "_" for "-": APP_ID is the input app-id, read from
// INPUT_APP-ID in a workflow (see inputLookuper) and from APP_ID or --app-id
// on the command line. Defaults live here and, for the Marketplace page, in
// action.yml; a test keeps the two in step.
//
// Validate checks the inputs once and derives what the run uses; the run
// only reads a validated Config.
type Config struct {
	AppID          string `env:"APP_ID"`
	PrivateKey     string `env:"PRIVATE_KEY"`
	Token          string `env:"TOKEN"`
	InstallationID int64  `env:"INSTALLATION_ID"`

	Org        string `env:"ORG"`
	Repository string `env:"REPOSITORY"`
	HookID     string `env:"HOOK_ID"`
	APIURL     string `env:"API_URL"`

	CheckpointVariable   string `env:"CHECKPOINT_VARIABLE"`
	CheckpointRepository string `env:"CHECKPOINT_REPOSITORY"`

	Since              string        `env:"SINCE"`
	DryRun             bool          `env:"DRY_RUN, default=false"`
	MaxRedeliveries    int           `env:"MAX_REDELIVERIES, default=0"`
	MaxAttempts        int           `env:"MAX_ATTEMPTS, default=5"`
	Timeout            time.Duration `env:"TIMEOUT, default=50m"`
	RedeliveryInterval time.Duration `env:"REDELIVERY_INTERVAL, default=1s"`

	Events             string `env:"EVENTS"`
	ExcludeStatusCodes string `env:"EXCLUDE_STATUS_CODES"`
	DispatchEventType  string `env:"DISPATCH_EVENT_TYPE"`
	DispatchRepository string `env:"DISPATCH_REPOSITORY"`

	// checkpointFile is set by the command line before Validate, not an
	// input: the checkpoint is kept in this local file (one per hook, see
	// checkpoint.PerHook), so no checkpoint repository is needed.
	checkpointFile string

	// Derived by Validate.
	target     target.Spec
	key        *rsa.PrivateKey // the App's, parsed
	filter     redeliver.Filter
	dispatchTo [2]string // owner, repo
	runURL     string
	since      sinceSpec
	cpOwner    string
	cpRepo     string
	apiURL     *url.URL
	enterprise bool
	// notes are said in the log once the run starts: what Validate read
	// from a pasted URL.
	notes []input.Note
}

// String never shows a secret: the config may end up in a debug log.
func (c *Config) String() string {
	red := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "(set)"
	}
	cp := c.CheckpointVariable
	if cp == "" {
		cp = "(derived from the target)"
	}
	return fmt.Sprintf("target=%s hooks=%s api-url=%s app-id=%s private-key=%s token=%s checkpoint=%s in %s/%s since=%q dry-run=%t max-redeliveries=%d max-attempts=%d timeout=%s redelivery-interval=%s",
		c.target.Base.Holder(), c.target.Hooks, c.APIURL, c.AppID, red(c.PrivateKey), red(c.Token), cp, c.cpOwner, c.cpRepo,
		c.Since, c.DryRun, c.MaxRedeliveries, c.MaxAttempts, c.Timeout, c.RedeliveryInterval)
}

// runner is what the workflow run tells the action besides its inputs.
type runner struct {
	apiURL     string // GITHUB_API_URL
	repository string // GITHUB_REPOSITORY
	runURL     string // GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID
}

// Validate checks every input and derives what the run needs. Its error
// joins an *input.Error per problem: each names the input, says what was
// wrong and how to fix it, and never repeats a secret.
func (c *Config) Validate(r runner) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, input.Bad(name, format, args...))
	}

	// Target.
	appTarget := c.Org == "" && c.Repository == ""
	var targetErrs []error
	c.target, c.notes, targetErrs = target.Parse(c.Org, c.Repository, c.HookID)
	errs = append(errs, targetErrs...)

	// Credentials.
	switch {
	case c.AppID != "" && c.PrivateKey == "":
		bad("private-key", "required with app-id: the App's private key (the whole .pem file, usually from a secret)")
	case c.AppID == "" && c.PrivateKey != "":
		bad("app-id", "required with private-key: the App's id or client id")
	case c.AppID != "" && !auth.ValidAppID(c.AppID):
		bad("app-id", "want the App's numeric id (such as 123456) or its client id (Iv1.…), got %q", c.AppID)
	case c.AppID != "":
		// Parsed here, once: a damaged key is bad input, not a failed run.
		key, err := auth.ParsePrivateKey(c.PrivateKey)
		var in *auth.InputError
		switch {
		case errors.As(err, &in):
			bad(in.Input, "%s", in.Problem)
		case err != nil:
			bad("private-key", "%v", err)
		}
		c.key = key
	}
	if appTarget && c.AppID == "" {
		bad("app-id", "required for the GitHub App's webhook (with neither org nor repository set): listing it needs an App JWT")
	}
	if !appTarget && c.Token == "" && c.AppID == "" {
		bad("token", "required for an organization or repository webhook, unless app-id and private-key are set (the action then uses the App's installation tokens)")
	}
	if c.InstallationID < 0 {
		bad("installation-id", "want a positive number, got %d", c.InstallationID)
	}

	// API URL.
	api := c.APIURL
	if api == "" {
		api = r.apiURL
	}
	if api == "" {
		api = "https://api.github.com"
	}
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("api-url", "want the REST API's base URL such as https://api.github.com or https://ghes.example.com/api/v3, got %q", api)
	} else {
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.apiURL = u
		c.APIURL = u.String()
		c.enterprise = u.Host != "api.github.com"
	}

	// Checkpoint.
	cpRepo := c.CheckpointRepository
	if cpRepo == "" {
		cpRepo = r.repository
	}
	owner, name, ok := target.SplitRepository(cpRepo)
	switch {
	case c.checkpointFile != "":
	case cpRepo == "":
		bad("checkpoint-repository", "required outside a workflow run: the owner/name of the repository holding the checkpoint variable")
	case !ok:
		bad("checkpoint-repository", "want owner/name such as octo-org/ops, got %q", cpRepo)
	default:
		c.cpOwner, c.cpRepo = owner, name
	}
	if c.CheckpointVariable != "" {
		if err := checkpoint.ValidateName(c.CheckpointVariable); err != nil {
			bad("checkpoint-variable", "%v", err)
		}
	}

	// Run.
	if c.Since != "" {
		s, err := parseSince(c.Since)
		if err != nil {
			bad("since", "%v", err)
		}
		c.since = s
	}
	if c.MaxRedeliveries < 0 {
		bad("max-redeliveries", "want 0 (no cap) or more, got %d", c.MaxRedeliveries)
	}
	if c.MaxAttempts < 0 {
		bad("max-attempts", "want 0 (no cap) or more, got %d", c.MaxAttempts)
	}
	if c.Timeout < 10*time.Second {
		bad("timeout", "want at least 10s so the run can read deliveries and save its checkpoint, got %s", c.Timeout)
	}
	if c.RedeliveryInterval < 0 || c.RedeliveryInterval > time.Minute {
		bad("redelivery-interval", "want a duration from 0s to 1m, got %s", c.RedeliveryInterval)
	}
	c.runURL = r.runURL

	// Filters and notification.
	events, err := redeliver.ParseEvents(c.Events)
	if err != nil {
		bad("events", "%v", err)
	}
	excluded, err := redeliver.ParseStatusCodes(c.ExcludeStatusCodes)
	if err != nil {
		bad("exclude-status-codes", "%v", err)
	}
	c.filter = redeliver.NewFilter(events, excluded)
	if c.DispatchEventType != "" {
		if len(c.DispatchEventType) > 100 {
			bad("dispatch-event-type", "at most 100 characters, got %d", len(c.DispatchEventType))
		}
		repo := c.DispatchRepository
		if repo == "" {
			repo = r.repository
		}
		owner, name, ok := target.SplitRepository(repo)
		if !ok {
			bad("dispatch-repository", "want owner/name of the repository that receives the repository_dispatch event, got %q", repo)
		}
		c.dispatchTo = [2]string{owner, name}
	} else if c.DispatchRepository != "" {
		bad("dispatch-repository", "set dispatch-event-type too: it names the repository_dispatch event to send")
	}
	return errors.Join(errs...)
}

// variableFor returns the checkpoint variable of one hook: the name the
// user gave, or the name derived from the target.
func (c *Config) variableFor(hookID int64) string {
	if c.CheckpointVariable != "" {
		return checkpoint.PerHook(c.CheckpointVariable, c.target.Hooks.Several(), hookID)
	}
	return c.target.For(hookID).CheckpointName(c.AppID)
}

// storeFor returns the checkpoint store of one hook: the command line's file,
// or a repository variable read and written with client.
func (c *Config) storeFor(hookID int64, client *github.Client) checkpoint.Store {
	if c.checkpointFile != "" {
		return checkpoint.NewFile(checkpoint.PerHook(c.checkpointFile, c.target.Hooks.Several(), hookID))
	}
	return checkpoint.NewVariable(client, c.cpOwner, c.cpRepo, c.variableFor(hookID))
}

// checkpointPlace says where the checkpoints are kept, for the command
// line's first log line.
func (c *Config) checkpointPlace() string {
	switch {
	case c.checkpointFile != "":
		return c.checkpointFile
	case !c.target.Hooks.All && len(c.target.Hooks.IDs) == 1:
		return fmt.Sprintf("variable %s in %s/%s", c.variableFor(c.target.Hooks.IDs[0]), c.cpOwner, c.cpRepo)
	}
	return fmt.Sprintf("a variable per webhook in %s/%s", c.cpOwner, c.cpRepo)
}

// withoutSince is a copy of c that reads from the checkpoint: --loop's
// passes after the first.
func (c *Config) withoutSince() *Config {
	next := *c
	next.since, next.Since = sinceSpec{}, ""
	return &next
}

// retention is how long GitHub keeps deliveries that can be redelivered: three
// days on github.com (and GHE.com), seven on Enterprise Server 3.16 and later.
func (c *Config) retention() time.Duration {
	if !c.enterprise || strings.HasSuffix(c.apiURL.Host, ".ghe.com") {
		return 72 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// sinceSpec is the since input: a time, or a duration back from GitHub's now.
type sinceSpec struct {
	at  time.Time
	ago time.Duration
}

func (s sinceSpec) set() bool { return !s.at.IsZero() || s.ago > 0 }

func (s sinceSpec) resolve(now time.Time) time.Time {
	if !s.at.IsZero() {
		return s.at
	}
	return now.Add(-s.ago)
}

// parseSince reads an RFC 3339 time, epoch milliseconds or a duration such as
// 36h or 3d.
func parseSince(v string) (sinceSpec, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return sinceSpec{at: t.UTC()}, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return sinceSpec{at: time.UnixMilli(ms).UTC()}, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return sinceSpec{ago: time.Duration(n) * 24 * time.Hour}, nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return sinceSpec{ago: d}, nil
	}
	return sinceSpec{}, fmt.Errorf("want an RFC 3339 time (2026-11-20T06:00:00Z), epoch milliseconds (1763618400000) or a duration back from now (36h, 3d), got %q", v)
}
