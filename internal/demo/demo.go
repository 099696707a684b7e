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
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/hook-redeliver/hook-redeliver/internal/clock"
	"github.com/hook-redeliver/hook-redeliver/internal/config"
	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
	"github.com/hook-redeliver/hook-redeliver/internal/run"
)

// Run runs one full pass, exactly as a workflow would, against a simulated
// GitHub on 127.0.0.1: an App whose webhook has a day of deliveries, some of
// them failed. Time is virtual, so the one-second pacing between
// redeliveries costs nothing. The summary goes to stdout, progress to stderr
// and the run's log to log.
func Run(ctx context.Context, stdout, stderr io.Writer, log run.Logger, version string) error {
	now := time.Now().UTC().Truncate(time.Second)
	vc := clock.NewVirtual(now)
	fake := fakegithub.New(fakegithub.Options{Clock: vc, PathPrefix: "/api/v3", Seed: 1})
	defer fake.Close()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate a key: %w", err)
	}
	const appID = 424242
	fake.AddApp(appID, "", &key.PublicKey)
	const token = "github_pat_demo_token_for_the_simulated_github"
	fake.AddToken(token, fakegithub.Credential{Kind: "fine-grained", Permissions: map[string]string{"actions_variables": "write"}})
	failed := fake.Seed(fakegithub.AppHook(), fakegithub.SeedOptions{
		N: 2500, From: now.Add(-30 * time.Hour), To: now,
		FailedFraction: 0.01, RecoveredFraction: 0.004,
		Rand: mrand.New(mrand.NewPCG(1, 2)),
	})
	// The receiver is back, except for one event type it rejects for good.
	fake.SetReceiver(func(d fakegithub.Delivery, attempt int) (string, int) {
		if d.Event == "check_run" {
			return "Invalid HTTP Response: 400", 400
		}
		return "OK", 200
	})
	fmt.Fprintf(stderr, "simulated GitHub at %s: an App webhook with 2,500 deliveries over 30 hours, %d GUIDs failed\n\n", fake.URL(), failed)

	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	// Loaded as a user's settings are, so the demo runs with the defaults
	// a real run has.
	cfg, err := config.Load(ctx, envconfig.MapLookuper(map[string]string{
		"APP_ID": fmt.Sprint(appID), "PRIVATE_KEY": pemKey, "TOKEN": token,
		"API_URL": fake.URL(), "CHECKPOINT_REPOSITORY": "demo-org/ops",
	}))
	if err == nil {
		err = cfg.Validate(config.Runner{})
	}
	if err != nil {
		return err
	}
	rep, err := run.Execute(ctx, cfg, run.Deps{Clock: vc, Log: log, Version: version})
	// SIMULATED in every title: a copied demo report must never pass for
	// a real one.
	rep.Simulated = true
	fmt.Fprintln(stderr)
	fmt.Fprint(stdout, rep.Markdown())
	if err != nil {
		return err
	}
	if err := fake.Err(); err != nil {
		return fmt.Errorf("the simulated GitHub saw unexpected requests: %w", err)
	}
	return nil
}
