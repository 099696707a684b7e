package auth

import "net/http"

// Plan says which credential serves each purpose of a run: the App JWT for
// the App's own webhook (nothing else reaches it); the token, when one is
// given, for everything else; otherwise installation tokens minted per
// purpose with the narrowest permissions that work.
//
// A Plan serves one identity. A run over the installations of an App makes
// one Plan per installation (InstallationID), all sharing one Installations
// so that equal scopes share one token.
type Plan struct {
	// Token is the token the user gave, or "".
	Token string
	// App is the GitHub App, nil without one.
	App *App
	// Installations mints the installation tokens. It is needed, and must
	// be set, when MintsInstallationTokens reports true.
	Installations *Installations
	// InstallationID is the target's installation, from installation-id;
	// 0 looks it up. The checkpoint's and the notification's repositories
	// may belong to other installations, so theirs are always looked up.
	InstallationID int64
	// DryRun asks for read access where a run would write: a dry run
	// redelivers nothing and writes no checkpoint.
	DryRun bool
}

// MintsInstallationTokens reports whether installation tokens serve the run:
// there is an App and no token.
func (p *Plan) MintsInstallationTokens() bool { return p.App != nil && p.Token == "" }

// access is the level asked for where a run writes.
func (p *Plan) access() string {
	if p.DryRun {
		return "read"
	}
	return "write"
}

// HookScope is what an installation token for a target's webhooks asks for,
// given the access ("read" or "write") and the installation (0 to look it
// up): redeliver.Target.Scope.
type HookScope func(access string, installationID int64) Scope

// Hooks is the credential that lists the target's deliveries and redelivers
// them, through next. appHook is true for the App's own webhook.
func (p *Plan) Hooks(appHook bool, scope HookScope, next http.RoundTripper) http.RoundTripper {
	switch {
	case appHook:
		return p.App.RoundTripper(next)
	case p.Token != "":
		return Token(p.Token, next)
	}
	return p.Installations.RoundTripper(scope(p.access(), p.InstallationID), next)
}

// Checkpoint is the credential that reads and writes the checkpoint
// variables of the repository owner/repo, through next.
func (p *Plan) Checkpoint(owner, repo string, next http.RoundTripper) http.RoundTripper {
	if p.Token != "" {
		return Token(p.Token, next)
	}
	return p.Installations.RoundTripper(Scope{Owner: owner, Repo: repo,
		Permissions: Permissions{"actions_variables": p.access()}}, next)
}

// Dispatch is the credential that sends the failure notification, a
// repository_dispatch event to owner/repo, through next.
func (p *Plan) Dispatch(owner, repo string, next http.RoundTripper) http.RoundTripper {
	if p.Token != "" {
		return Token(p.Token, next)
	}
	return p.Installations.RoundTripper(Scope{Owner: owner, Repo: repo,
		Permissions: Permissions{"contents": "write"}}, next)
}

// OrgCheckpoint is the credential that reads and writes the checkpoint
// variables kept in organization org's own variables (checkpoint-store:
// organization), through next. An installation token asks for the
// organization permission Variables; with the target's installation known
// (InstallationID), no lookup is needed, as the target's organization is org.
func (p *Plan) OrgCheckpoint(org string, next http.RoundTripper) http.RoundTripper {
	if p.Token != "" {
		return Token(p.Token, next)
	}
	return p.Installations.RoundTripper(Scope{Org: org, InstallationID: p.InstallationID,
		Permissions: Permissions{"organization_actions_variables": p.access()}}, next)
}
