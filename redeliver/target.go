package redeliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/auth"
	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
)

// Target is the webhook whose deliveries are checked. With neither Org nor
// Owner set it is the GitHub App's own webhook.
type Target struct {
	Org         string // organization webhook
	Owner, Repo string // repository webhook
	HookID      int64
}

// Kind is "app", "org" or "repo".
func (t Target) Kind() string {
	switch {
	case t.Org != "":
		return "org"
	case t.Owner != "":
		return "repo"
	}
	return "app"
}

func (t Target) String() string {
	switch t.Kind() {
	case "org":
		return fmt.Sprintf("organization %s webhook %d", t.Org, t.HookID)
	case "repo":
		return fmt.Sprintf("repository %s/%s webhook %d", t.Owner, t.Repo, t.HookID)
	}
	return "GitHub App webhook"
}

func (t Target) deliveriesPath() string {
	switch t.Kind() {
	case "org":
		return fmt.Sprintf("orgs/%s/hooks/%d/deliveries", url.PathEscape(t.Org), t.HookID)
	case "repo":
		return fmt.Sprintf("repos/%s/%s/hooks/%d/deliveries", url.PathEscape(t.Owner), url.PathEscape(t.Repo), t.HookID)
	}
	return "app/hook/deliveries"
}

// redeliver asks GitHub to redeliver one delivery. GitHub answers 202
// Accepted, which go-github reports as *github.AcceptedError: success.
func (t Target) redeliver(ctx context.Context, c *github.Client, id int64) (*github.Response, error) {
	var resp *github.Response
	var err error
	switch t.Kind() {
	case "org":
		_, resp, err = c.Organizations.RedeliverHookDelivery(ctx, t.Org, t.HookID, id)
	case "repo":
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
	if t.Kind() == "app" {
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
		if t.Kind() == "repo" {
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
