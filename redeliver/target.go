package redeliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
)

// Kind is which of GitHub's three webhook APIs a target is reached through.
type Kind int

// Kinds of target.
const (
	AppHook  Kind = iota // the GitHub App's own webhook, with the App JWT
	OrgHook              // an organization's webhook
	RepoHook             // a repository's webhook
)

// String is the kind's code in the JSON report: "app", "org" or "repo".
func (k Kind) String() string {
	switch k {
	case OrgHook:
		return "org"
	case RepoHook:
		return "repo"
	}
	return "app"
}

// Target is the webhook whose deliveries are checked. With neither Org nor
// Owner set it is the GitHub App's own webhook. Everything that depends on
// the kind of webhook (its API paths, the credentials it needs, its
// checkpoint's name, what an error on it means) is decided here.
type Target struct {
	Org         string // organization webhook
	Owner, Repo string // repository webhook
	HookID      int64
}

// Kind tells the target's kind from the fields that are set.
func (t Target) Kind() Kind {
	switch {
	case t.Org != "":
		return OrgHook
	case t.Owner != "":
		return RepoHook
	}
	return AppHook
}

func (t Target) String() string {
	switch t.Kind() {
	case OrgHook:
		return fmt.Sprintf("organization %s webhook %d", t.Org, t.HookID)
	case RepoHook:
		return fmt.Sprintf("repository %s/%s webhook %d", t.Owner, t.Repo, t.HookID)
	}
	return "GitHub App webhook"
}

// Holder names what holds the target's webhooks, whatever the hook id:
// "org acme", "repository acme/shop", or the GitHub App webhook.
func (t Target) Holder() string {
	switch t.Kind() {
	case OrgHook:
		return "org " + t.Org
	case RepoHook:
		return "repository " + t.Owner + "/" + t.Repo
	}
	return "GitHub App webhook"
}

// CheckpointName is the checkpoint variable's name when the user gives
// none: derived from the target, so two targets checkpointed in one
// repository never share a variable (appID tells Apps apart).
func (t Target) CheckpointName(appID string) string {
	return checkpoint.DefaultName(appID, t.Org, t.Owner, t.Repo, t.HookID)
}

// Scope is what an App installation token for an organization or repository
// target's webhooks is asked for: access ("read" or "write") to its hooks,
// on the installation given or, if 0, the one GitHub finds. The App's own
// webhook takes the App JWT, not an installation token.
func (t Target) Scope(access string, installationID int64) auth.Scope {
	if t.Kind() == OrgHook {
		return auth.Scope{Org: t.Org, InstallationID: installationID, Permissions: auth.Permissions{"organization_hooks": access}}
	}
	return auth.Scope{Owner: t.Owner, Repo: t.Repo, InstallationID: installationID, Permissions: auth.Permissions{"repository_hooks": access}}
}

// redeliver asks GitHub to redeliver one delivery. GitHub answers 202
// Accepted, which go-github reports as *github.AcceptedError: success.
func (t Target) redeliver(ctx context.Context, c *github.Client, id int64) (*github.Response, error) {
	var resp *github.Response
	var err error
	switch t.Kind() {
	case OrgHook:
		_, resp, err = c.Organizations.RedeliverHookDelivery(ctx, t.Org, t.HookID, id)
	case RepoHook:
		_, resp, err = c.Repositories.RedeliverHookDelivery(ctx, t.Owner, t.Repo, t.HookID, id)
	default:
		_, resp, err = c.Apps.RedeliverHookDelivery(ctx, id)
	}
	var accepted *github.AcceptedError
	if errors.As(err, &accepted) {
		err = nil
	}
	return resp, err
}

// explain adds to an API error what the user can do about it: which input or
// permission is at fault. access is "read" (listing) or "write" (redelivering).
func (t Target) explain(err error, access string) error {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return err
	}
	code := er.Response.StatusCode
	hint := ""
	if t.Kind() == AppHook {
		switch code {
		case http.StatusUnauthorized:
			// auth says what GitHub's message means: a wrong key or app id
			// only when it refused the signature or the issuer.
			if rej, ok := auth.ClassifyJWTError(err); ok {
				return rej
			}
		case http.StatusForbidden, http.StatusNotFound:
			hint = "the App's webhook could not be reached with the App JWT: check app-id, and that the App has a webhook"
		}
	} else {
		// Organization and repository hooks differ only in names.
		w := struct{ what, inputs, fine, classic, rights string }{
			fmt.Sprintf("organization %q or hook %d", t.Org, t.HookID), "org and hook-id",
			"Organization hooks", "the admin:org_hook scope", "an organization owner's rights",
		}
		if t.Kind() == RepoHook {
			w.what, w.inputs = fmt.Sprintf("repository %s/%s or hook %d", t.Owner, t.Repo, t.HookID), "repository and hook-id"
			w.fine, w.classic, w.rights = "Webhooks", "the repo or admin:repo_hook scope", "admin rights on the repository"
		}
		perm := map[string]string{"read": "read", "write": "read and write"}[access]
		switch code {
		case http.StatusUnauthorized:
			hint = "the token is invalid or expired: check the token input"
		case http.StatusForbidden:
			hint = fmt.Sprintf("the token needs the %s: %s permission (fine-grained token or GitHub App) or %s (classic), and %s", w.fine, perm, w.classic, w.rights)
		case http.StatusNotFound:
			hint = fmt.Sprintf("%s not found, or the token cannot see it: check %s; a classic token needs %s, a fine-grained one %s: %s", w.what, w.inputs, w.classic, w.fine, perm)
		}
	}
	if hint == "" {
		return err
	}
	if code == http.StatusForbidden {
		hint += ghtransport.AcceptedPermissions(er.Response)
	}
	return fmt.Errorf("%w: %s", err, hint)
}
