// Package demo runs a pass against a simulated GitHub: what the binary does
// with --demo, or with nothing configured in a terminal.
package demo

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/report"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// Options are the command line's settings the demo honours.
type Options struct {
	DryRun bool
}

// What the simulated webhook holds: a day of deliveries, which a first run
// reads (it looks back firstRun), and the hours before it, which it does not.
const (
	firstRun     = redeliver.FirstLookback // what a run with no checkpoint reads
	before       = 6 * time.Hour           // deliveries older than that, outside the window
	inWindow     = 2000
	beforeWindow = 500
)

// Run runs one full pass, exactly as a real run would, against a simulated
// GitHub on 127.0.0.1: an App whose webhook has 30 hours of deliveries, some
// of them failed. Time is virtual, so the one-second pacing between
// redeliveries costs nothing. It says on stderr what the simulated GitHub
// holds, logs the run to log, and returns the run's report, marked
// Simulated, for the caller to print as it prints a real one. The report is
// nil only if the run could not start.
func Run(ctx context.Context, stderr io.Writer, log run.Logger, version string, o Options) (*report.Run, error) {
	now := time.Now().UTC().Truncate(time.Second)
	vc := clock.NewVirtual(now)
	fake := fakegithub.New(fakegithub.Options{Clock: vc, PathPrefix: "/api/v3", Seed: 1})
	defer fake.Close()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate a key: %w", err)
	}
	const appID = 424242
	fake.AddApp(appID, "", &key.PublicKey)
	const token = "github_pat_demo_token_for_the_simulated_github"
	fake.AddToken(token, fakegithub.Credential{Kind: "fine-grained", Permissions: map[string]string{"actions_variables": "write"}})
	// Oldest first, as ids grow with time. The window's first minute is
	// left empty, so no delivery sits on its edge.
	r := mrand.New(mrand.NewPCG(1, 2))
	seed := func(n int, from, to time.Time) int {
		return fake.Seed(fakegithub.AppHook(), fakegithub.SeedOptions{
			N: n, From: from, To: to, FailedFraction: 0.01, RecoveredFraction: 0.004, Rand: r,
		})
	}
	start := now.Add(-firstRun)
	failedBefore := seed(beforeWindow, start.Add(-before), start)
	failed := seed(inWindow, start.Add(time.Minute), now)
	// The receiver is back, except for one event type it rejects for good.
	fake.SetReceiver(func(d fakegithub.Delivery, attempt int) (string, int) {
		if d.Event == "check_run" {
			return "Invalid HTTP Response: 400", 400
		}
		return "OK", 200
	})
	fmt.Fprintf(stderr, "simulated GitHub at %s: an App webhook with %d deliveries over %s; %d GUIDs failed in the last %s, which a first run reads, "+
		"and %d in the %s before, outside its window\n\n",
		fake.URL(), inWindow+beforeWindow, hours(firstRun+before), failed, hours(firstRun), failedBefore, hours(before))

	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	// Loaded as a user's settings are, so the demo runs with the defaults
	// a real run has.
	cfg, err := config.Load(ctx, envconfig.MapLookuper(map[string]string{
		"APP_ID": fmt.Sprint(appID), "PRIVATE_KEY": pemKey, "TOKEN": token,
		"API_URL": fake.URL(), "CHECKPOINT_REPOSITORY": "demo-org/ops",
		"DRY_RUN": strconv.FormatBool(o.DryRun),
	}))
	if err == nil {
		err = cfg.Validate(config.Runner{})
	}
	if err != nil {
		return nil, err
	}
	rep, err := run.Execute(ctx, cfg, run.Deps{Clock: vc, Log: log, Version: version})
	// SIMULATED in every title: a copied demo report must never pass for
	// a real one.
	rep.Simulated = true
	fmt.Fprintln(stderr)
	if err != nil {
		return rep, err
	}
	if err := fake.Err(); err != nil {
		return rep, fmt.Errorf("the simulated GitHub saw unexpected requests: %w", err)
	}
	return rep, nil
}

// hours says d in hours: "24 hours".
func hours(d time.Duration) string { return fmt.Sprintf("%d hours", int(d.Hours())) }
