package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Installation is one installation of the App, as GET /app/installations
// lists it: the account it is installed on and what it was granted.
type Installation struct {
	ID int64
	// Account is the login of the organization or user it is installed on;
	// AccountType is "Organization" or "User".
	Account, AccountType string
	// Permissions are what the account granted (and accepted), keyed as
	// the REST API names them.
	Permissions Permissions
	// RepositorySelection is "all" or "selected".
	RepositorySelection string
	// Suspended installations get no tokens.
	Suspended bool
}

// Organization reports whether the installation is on an organization,
// which has organization webhooks and variables; a user account has neither.
func (in Installation) Organization() bool { return in.AccountType == "Organization" }

// Grants reports whether the installation was granted permission perm at
// level ("read" or "write") or above.
func (in Installation) Grants(perm, level string) bool {
	rank := map[string]int{"read": 1, "write": 2, "admin": 3}
	return rank[in.Permissions[perm]] >= rank[level]
}

// installationJSON is the part of GitHub's installation object read here.
// go-github's InstallationPermissions has no field for the variables
// permissions, so the permissions are read as a map.
type installationJSON struct {
	ID      int64 `json:"id"`
	Account struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"account"`
	TargetType          string      `json:"target_type"`
	Permissions         Permissions `json:"permissions"`
	RepositorySelection string      `json:"repository_selection"`
	SuspendedAt         *string     `json:"suspended_at"`
}

// List returns every installation of the App (GET /app/installations with
// the App JWT, 100 a page), in GitHub's order.
func (i *Installations) List(ctx context.Context) ([]Installation, error) {
	var out []Installation
	for page := 1; page != 0; {
		req, err := i.client.NewRequest(http.MethodGet, fmt.Sprintf("app/installations?per_page=100&page=%d", page), nil)
		if err != nil {
			return nil, fmt.Errorf("listing the installations of %s: %w", i.app(), err)
		}
		var batch []installationJSON
		resp, err := i.client.Do(ctx, req, &batch)
		if err != nil {
			if rej, ok := ClassifyJWTError(err); ok {
				r := *rej
				r.AppID = i.appID
				return nil, fmt.Errorf("listing the installations of %s: %w", i.app(), &r)
			}
			return nil, fmt.Errorf("listing the installations of %s: %w", i.app(), err)
		}
		for _, b := range batch {
			typ := b.Account.Type
			if typ == "" {
				typ = b.TargetType
			}
			out = append(out, Installation{
				ID: b.ID, Account: b.Account.Login, AccountType: typ, Permissions: b.Permissions,
				RepositorySelection: b.RepositorySelection, Suspended: b.SuspendedAt != nil && strings.TrimSpace(*b.SuspendedAt) != "",
			})
		}
		page = resp.NextPage
	}
	return out, nil
}

// NotGrantedError is an installation that was not granted a permission a run
// needs of it: its account's work is left out, the others go on.
type NotGrantedError struct {
	Installation int64
	Account      string
	Permission   string // as the REST API names it: organization_hooks
	Level        string // read or write
}

// permissionNames are the permissions' names in the App's settings page.
var permissionNames = map[string]string{
	"organization_hooks":             "organization permission Webhooks",
	"repository_hooks":               "repository permission Webhooks",
	"organization_actions_variables": "organization permission Variables",
	"actions_variables":              "repository permission Variables",
	"contents":                       "repository permission Contents",
}

func (e *NotGrantedError) Error() string {
	name := permissionNames[e.Permission]
	if name == "" {
		name = e.Permission
	}
	level := map[string]string{"read": "read-only", "write": "read and write"}[e.Level]
	return fmt.Sprintf("installation %d on %s was not granted the %s: %s (%s: %s): grant it in the App's settings (Permissions & events) and accept it on the installation",
		e.Installation, e.Account, name, level, e.Permission, e.Level)
}

// Need returns a *NotGrantedError if the installation was not granted perm at
// level, else nil.
func (in Installation) Need(perm, level string) error {
	if in.Grants(perm, level) {
		return nil
	}
	return &NotGrantedError{Installation: in.ID, Account: in.Account, Permission: perm, Level: level}
}
