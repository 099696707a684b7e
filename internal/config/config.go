// Package config reads the action's inputs into one Config (through
// go-envconfig, from the runner's INPUT_ variables, the command line's flags
// and variables, or GitHub's scripts' variable names) and validates them once
// into what a run uses.
package config

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/input"
	"github.com/hook-redeliver/hook-redeliver/internal/matrix"
	"github.com/hook-redeliver/hook-redeliver/internal/target"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Config is every input of the action. The env keys are the inputs'
// names upper-cased with "_" for "-": APP_ID is the input app-id, read from
// INPUT_APP-ID in a workflow (see InputLookuper) and from APP_ID or --app-id
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
	CheckpointStore      string `env:"CHECKPOINT_STORE"`

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

	// Many targets: see many.go.
	Plan     bool   `env:"PLAN, default=false"`
	LegInput string `env:"LEG"`
	Parallel int    `env:"PARALLEL, default=20"`

	// checkpointFile is set by the command line before Validate, not an
	// input: see UseCheckpointFile.
	checkpointFile string

	// Derived by Validate, read through the methods below: unexported so
	// that go-envconfig leaves them alone and only Validate sets them.
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
	// leg is the leg input, read; orgStore: checkpoint-store organization.
	leg      *matrix.Leg
	orgStore bool
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
		c.targetName(), c.target.Hooks, c.APIURL, c.AppID, red(c.PrivateKey), red(c.Token), cp, c.cpOwner, c.cpRepo,
		c.Since, c.DryRun, c.MaxRedeliveries, c.MaxAttempts, c.Timeout, c.RedeliveryInterval)
}

// Runner is what the workflow run tells the action besides its inputs.
type Runner struct {
	APIURL     string // GITHUB_API_URL
	Repository string // GITHUB_REPOSITORY
	RunURL     string // GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID
	// Now is the runner's clock as the run starts, for inputs that must
	// not lie ahead of it (since); zero reads the real clock.
	Now time.Time
}

// RunnerFromEnv reads what the workflow run says about itself.
func RunnerFromEnv(getenv func(string) string) Runner {
	r := Runner{APIURL: getenv("GITHUB_API_URL"), Repository: getenv("GITHUB_REPOSITORY")}
	if srv, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_RUN_ID"); srv != "" && id != "" && r.Repository != "" {
		r.RunURL = srv + "/" + r.Repository + "/actions/runs/" + id
	}
	return r
}

// Validate checks every input and derives what the run needs. Its error
// joins an *input.Error per problem: each names the input, says what was
// wrong and how to fix it, and never repeats a secret.
func (c *Config) Validate(r Runner) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, input.Bad(name, format, args...))
	}
	// badFrom reports a problem another package found with the value v of
	// an input. Its text may quote v: a value that looks like a
	// credential is described instead.
	badFrom := func(name, v string, err error) {
		if m := input.Misplaced(name, v); m != "" {
			bad(name, "%s", m)
			return
		}
		bad(name, "%v", err)
	}

	// Target.
	appTarget := c.Org == "" && c.Repository == "" && c.LegInput == ""
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
		bad("app-id", "want the App's numeric id (such as 123456) or its client id (Iv1.…), got %s", input.Value("app-id", c.AppID))
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
	if p := tokenProblem(c.Token); p != "" {
		bad("token", "%s", p)
	}
	if c.InstallationID < 0 {
		bad("installation-id", "want a positive number, got %d", c.InstallationID)
	}

	// API URL.
	api := c.APIURL
	if api == "" {
		api = r.APIURL
	}
	if api == "" {
		api = "https://api.github.com"
	}
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("api-url", "want the REST API's base URL such as https://api.github.com or https://ghes.example.com/api/v3, got %s", input.Value("api-url", api))
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
		cpRepo = r.Repository
	}
	owner, name, ok := target.SplitRepository(cpRepo)
	switch {
	case c.checkpointFile != "", c.LegInput != "", strings.EqualFold(c.CheckpointStore, storeOrganization):
		// A leg says where each checkpoint lives; organizations keep their
		// own.
	case cpRepo == "":
		bad("checkpoint-repository", "required outside a workflow run: the owner/name of the repository holding the checkpoint variable")
	case !ok:
		bad("checkpoint-repository", "want owner/name such as octo-org/ops, got %s", input.Value("checkpoint-repository", cpRepo))
	default:
		c.cpOwner, c.cpRepo = owner, name
	}
	if c.CheckpointVariable != "" {
		if err := checkpoint.ValidateName(c.CheckpointVariable); err != nil {
			badFrom("checkpoint-variable", c.CheckpointVariable, err)
		}
	}

	// Run.
	if c.Since != "" {
		now := r.Now
		if now.IsZero() {
			now = time.Now()
		}
		s, err := parseSince(c.Since, now)
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
	c.runURL = r.RunURL

	// Filters and notification.
	events, err := redeliver.ParseEvents(c.Events)
	if err != nil {
		badFrom("events", c.Events, err)
	}
	excluded, err := redeliver.ParseStatusCodes(c.ExcludeStatusCodes)
	if err != nil {
		badFrom("exclude-status-codes", c.ExcludeStatusCodes, err)
	}
	c.filter = redeliver.NewFilter(events, excluded)
	if c.DispatchEventType != "" {
		if len(c.DispatchEventType) > 100 {
			bad("dispatch-event-type", "at most 100 characters, got %d", len(c.DispatchEventType))
		}
		repo := c.DispatchRepository
		if repo == "" {
			repo = r.Repository
		}
		owner, name, ok := target.SplitRepository(repo)
		if !ok {
			bad("dispatch-repository", "want owner/name of the repository that receives the repository_dispatch event, got %s", input.Value("dispatch-repository", repo))
		}
		c.dispatchTo = [2]string{owner, name}
	} else if c.DispatchRepository != "" {
		bad("dispatch-repository", "set dispatch-event-type too: it names the repository_dispatch event to send")
	}
	errs = append(errs, c.validateMany()...)

	// A credential in an input that holds none is refused even where that
	// input's rules would take it, or it would reach the log (the first
	// line names the target and the checkpoint variable). An input whose
	// own check failed has said so already, describing the value.
	v := reflect.ValueOf(c).Elem()
	for _, s := range Settings() {
		if s.typ.Kind() != reflect.String || faulted(errs, s.Flag) {
			continue
		}
		if m := input.Misplaced(s.Flag, v.Field(s.index).String()); m != "" {
			bad(s.Flag, "%s", m)
		}
	}
	return errors.Join(errs...)
}

// tokenProblem says why tok cannot be sent as the value of an
// Authorization header, or "" if it can. Without this check Go's HTTP client
// refuses every request before it leaves, and the refusal looks like a
// network error. Leading and trailing whitespace is trimmed from every
// input already, so what is left is inside the token.
func tokenProblem(tok string) string {
	for i, r := range []rune(tok) {
		if r > ' ' && r < 0x7f {
			continue
		}
		what := "a control character"
		switch {
		case r == '\n' || r == '\r':
			what = "a line break"
		case r == ' ':
			what = "a space"
		case r > 0x7f:
			what = "a character outside ASCII"
		}
		return fmt.Sprintf("%s holds %s at character %d, and a token is visible ASCII only: it cannot be sent in a request header; "+
			"check that the secret holds the token alone, on one line (leading and trailing whitespace is trimmed already)",
			input.Value("token", tok), what, i+1)
	}
	return ""
}

// faulted reports whether errs has an *input.Error naming the input.
func faulted(errs []error, name string) bool {
	for _, err := range errs {
		var in *input.Error
		if errors.As(err, &in) && slices.Contains(in.Inputs, name) {
			return true
		}
	}
	return false
}

// Target is the webhooks the inputs ask for.
func (c *Config) Target() target.Spec { return c.target }

// Key is the App's private key, parsed; nil without app-id.
func (c *Config) Key() *rsa.PrivateKey { return c.key }

// Filter is what the events and exclude-status-codes inputs leave out.
func (c *Config) Filter() redeliver.Filter { return c.filter }

// DispatchTo is the repository the failure notification goes to, when
// dispatch-event-type is set.
func (c *Config) DispatchTo() (owner, repo string) { return c.dispatchTo[0], c.dispatchTo[1] }

// RunURL is the workflow run's page, for the notification; "" outside a
// workflow run.
func (c *Config) RunURL() string { return c.runURL }

// Notes are what Validate read from the inputs that the log should say.
func (c *Config) Notes() []input.Note { return c.notes }

// API is the REST API's base URL, ending in "/".
func (c *Config) API() *url.URL { return c.apiURL }

// Enterprise reports whether the API is not github.com's: Enterprise Server
// or GHE.com.
func (c *Config) Enterprise() bool { return c.enterprise }

// server reports whether the API is an Enterprise Server's, which keeps
// deliveries and waits for receivers longer than github.com and GHE.com.
func (c *Config) server() bool {
	return c.enterprise && !strings.HasSuffix(c.apiURL.Host, ".ghe.com")
}

// Retention is how long GitHub keeps deliveries that can be redelivered: three
// days on github.com (and GHE.com), seven on Enterprise Server 3.16 and later.
func (c *Config) Retention() time.Duration {
	if c.server() {
		return 7 * 24 * time.Hour
	}
	return 72 * time.Hour
}

// ReceiverTimeout is how long GitHub waits for a receiver before it fails an
// attempt: 10 seconds on github.com and GHE.com, 30 on Enterprise Server.
func (c *Config) ReceiverTimeout() time.Duration {
	if c.server() {
		return redeliver.ServerReceiverTimeout
	}
	return redeliver.ReceiverTimeout
}
