package main

// GitHub documents a Node.js script that does what the action does
// ("Automatically redelivering failed deliveries for a GitHub App webhook",
// docs.github.com): list the App's deliveries since the time stored in a
// repository variable, group them by GUID, redeliver each GUID without a
// successful attempt, store the time. With -script FILE this command runs
// that script, as published, on the same deliveries as the action and
// measures it the same way (the launcher's rusage: user+system CPU and peak
// RSS of the node process), so that the README's comparison can be
// reproduced. The script is not part of this repository: save it from the
// docs page and run `npm install octokit` in its directory.
//
// Two things are set around the script, not in it:
//   - octokit is pointed at the fake (Octokit.defaults({baseUrl}), as the
//     docs' Enterprise Server variant of the script does), through a module
//     preloaded with node --require;
//   - octokit's throttling plugin, which sends write requests at most one a
//     second, is turned off, as the action runs with redelivery-interval 0s:
//     neither paces, and both make the same requests.
//
// Delivery ids are the fake's, above 2^53 as GitHub's App-hook ids are. A
// client that reads them as JavaScript numbers sends back rounded ids and
// redelivers other deliveries than the failed ones; octokit 5 (its request
// library parses such integers as BigInt) does not. checkRedeliveries
// counts such mistakes, and a run of the script that makes one fails.

import (
	"bufio"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hook-redeliver/hook-redeliver/internal/fakegithub"
)

// scriptToken is the personal access token the script uses for the variable.
const scriptToken = "ghp_loadtestscript"

// scriptPreload points octokit at the fake and turns its throttling off; see
// the top of this file. It wraps the module loader so that the script's own
// require("octokit") gets the adjusted classes.
const scriptPreload = `"use strict";
const Module = require("node:module");
const load = Module._load;
let adjusted;
Module._load = function (request, parent, isMain) {
  const octokit = load.apply(this, arguments);
  if (request !== "octokit") {
    return octokit;
  }
  if (!adjusted) {
    const Octokit = octokit.Octokit.defaults({
      baseUrl: process.env.LOADTEST_API_URL,
      throttle: { enabled: false },
    });
    adjusted = { ...octokit, Octokit, App: octokit.App.defaults({ Octokit }) };
  }
  return adjusted;
};
`

// The script's last line: "Redelivered N failed webhook deliveries out of M
// total deliveries since ...".
var scriptDone = regexp.MustCompile(`^Redelivered (\d+) failed webhook deliveries out of (\d+) total deliveries`)

// scriptRun is what was seen of one run of the script.
type scriptRun struct {
	wall, cpu   time.Duration
	maxRSS      int64
	floorRSS    int64 // the launcher's peak RSS (see launch.go)
	listed      int   // deliveries the script says it read
	redelivered redeliveries
}

// measureScript runs GitHub's script once on a fake seeded as the action's.
func measureScript(ctx context.Context, o options, key *rsa.PrivateKey, pemKey, dir string, i int, progress io.Writer) (*scriptRun, error) {
	script, err := filepath.Abs(o.script)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath(o.node)
	if err != nil {
		return nil, fmt.Errorf("-script needs Node.js: %w", err)
	}
	preload := filepath.Join(dir, "octokit-loadtest.cjs")
	if err := os.WriteFile(preload, []byte(scriptPreload), 0o600); err != nil {
		return nil, err
	}
	fake, sc := seed(o, key, progress)
	defer fake.Close()
	fake.AddToken(scriptToken, fakegithub.Credential{Kind: "classic", Scopes: []string{"repo"}})
	// The script reads deliveries strictly after the stored time; the
	// action reads from Overlap before its checkpoint. Both read the same
	// window.
	setCheckpoint(fake, o.faults(), sc.since.Add(-time.Millisecond))

	fmt.Fprintf(progress, "running GitHub's script: %d deliveries in the window, %d failed GUIDs\n", sc.inWindow, sc.failed)
	env := []string{
		"APP_ID=" + strconv.Itoa(appID),
		"PRIVATE_KEY=" + pemKey,
		"TOKEN=" + scriptToken,
		"LAST_REDELIVERY_VARIABLE_NAME=" + variable(),
		"WORKFLOW_REPO=" + cpRepo,
		"WORKFLOW_REPO_OWNER=" + cpOwner,
		"LOADTEST_API_URL=" + strings.TrimSuffix(fake.URL(), "/"),
	}
	l, err := startLauncher(ctx, env, node, "--require", preload, script)
	if err != nil {
		return nil, err
	}
	var stderr tail
	l.cmd.Stderr = &stderr
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := l.start(); err != nil {
		return nil, err
	}
	sr := &scriptRun{listed: -1}
	log := &tail{}
	sc2 := bufio.NewScanner(stdout)
	for sc2.Scan() {
		line := sc2.Text()
		_, _ = fmt.Fprintln(log, line)
		if m := scriptDone.FindStringSubmatch(line); m != nil {
			sr.listed, _ = strconv.Atoi(m[2])
		}
	}
	res, err := l.wait()
	if err != nil {
		return nil, err
	}
	if res.code != 0 || sr.listed < 0 {
		return nil, fmt.Errorf("GitHub's script exited with status %d\nits output ends:\n%s\nits stderr ends:\n%s", res.code, log, &stderr)
	}
	sr.wall, sr.cpu, sr.maxRSS, sr.floorRSS = res.end.Sub(l.actionStart), res.cpu, res.maxRSS, res.launcherRSS
	if err := fake.Err(); err != nil {
		return nil, err
	}
	if sr.listed != sc.inWindow {
		return nil, fmt.Errorf("GitHub's script read %d deliveries in the window, the fake holds %d", sr.listed, sc.inWindow)
	}
	sr.redelivered = checkRedeliveries(fake)
	if sr.redelivered.guids != sc.failed || sr.redelivered.wrong > 0 {
		return nil, fmt.Errorf("GitHub's script redelivered %+v; the fake holds %d failed GUIDs", sr.redelivered, sc.failed)
	}
	return sr, nil
}

// redeliveries is what a contender redelivered, as the fake saw it.
type redeliveries struct {
	requests int // redelivery requests
	guids    int // distinct GUIDs redelivered
	wrong    int // requests for a delivery that had succeeded: a wrong id
}

// checkRedeliveries counts the redeliveries the fake performed on the App's
// webhook.
func checkRedeliveries(fake *fakegithub.Server) redeliveries {
	status := map[int64]string{}
	for _, d := range fake.Deliveries(fakegithub.AppHook()) {
		status[d.ID] = d.Status
	}
	var r redeliveries
	guids := map[string]bool{}
	for _, rd := range fake.Redeliveries() {
		r.requests++
		guids[rd.GUID] = true
		if status[rd.RequestedID] == "OK" {
			r.wrong++
		}
	}
	r.guids = len(guids)
	return r
}

// spread returns the median, smallest and largest of xs.
func spread(xs []float64) (median, lo, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}
