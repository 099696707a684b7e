package fakegithub

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// installationTokenLifetime is how long GitHub's installation tokens live.
const installationTokenLifetime = time.Hour

// Installation is a GitHub App installed on an account.
type Installation struct {
	ID           int64
	AppID        int64
	Account      string            // org or user login
	Repositories []string          // "owner/name"; empty = all repositories of Account
	Permissions  map[string]string // what the installation was granted
	// AccountType is "Organization" (the default) or "User". A user's
	// installation is not found by GET /orgs/{org}/installation.
	AccountType string
	// Suspended installations are listed with suspended_at set, and GitHub
	// refuses to mint tokens for them.
	Suspended bool
}

type installation struct {
	Installation
	created time.Time
}

// AddInstallation registers an installation. Adding one again replaces it.
func (s *Server) AddInstallation(in Installation) {
	in.Repositories = slices.Clone(in.Repositories)
	in.Permissions = maps.Clone(in.Permissions)
	if in.AccountType == "" {
		in.AccountType = "Organization"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installations[in.ID] = &installation{Installation: in, created: s.nowLocked()}
	for _, r := range in.Repositories {
		s.noteRepoLocked(r)
	}
}

// noteRepoLocked remembers a repository name so that repository_ids can be
// resolved back to it.
func (s *Server) noteRepoLocked(full string) {
	k := strings.ToLower(full)
	if _, ok := s.knownRepos[k]; !ok {
		s.knownRepos[k] = full
	}
}

type accountJSON struct {
	Login     string `json:"login"`
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	Type      string `json:"type"`
	SiteAdmin bool   `json:"site_admin"`
	URL       string `json:"url"`
	HTMLURL   string `json:"html_url"`
}

func (s *Server) account(login, typ string) accountJSON {
	id := AccountID(login)
	path := "users/"
	if typ == "Organization" {
		path = "orgs/"
	}
	return accountJSON{
		Login:   login,
		ID:      id,
		NodeID:  "MDQ6VXNlcj" + strconv.FormatInt(id, 36),
		Type:    typ,
		URL:     s.ts.URL + s.prefix + "/" + path + login,
		HTMLURL: "https://github.com/" + login,
	}
}

// installationJSON is GitHub's installation object.
type installationJSON struct {
	ID                     int64             `json:"id"`
	Account                accountJSON       `json:"account"`
	RepositorySelection    string            `json:"repository_selection"`
	AccessTokensURL        string            `json:"access_tokens_url"`
	RepositoriesURL        string            `json:"repositories_url"`
	HTMLURL                string            `json:"html_url"`
	AppID                  int64             `json:"app_id"`
	AppSlug                string            `json:"app_slug"`
	TargetID               int64             `json:"target_id"`
	TargetType             string            `json:"target_type"`
	Permissions            map[string]string `json:"permissions"`
	Events                 []string          `json:"events"`
	CreatedAt              string            `json:"created_at"`
	UpdatedAt              string            `json:"updated_at"`
	SingleFileName         *string           `json:"single_file_name"`
	HasMultipleSingleFiles bool              `json:"has_multiple_single_files"`
	SingleFilePaths        []string          `json:"single_file_paths"`
	SuspendedBy            *accountJSON      `json:"suspended_by"`
	SuspendedAt            *string           `json:"suspended_at"`
}

func (s *Server) installationJSON(in *installation) installationJSON {
	sel := "all"
	if len(in.Repositories) > 0 {
		sel = "selected"
	}
	perms := in.Permissions
	if perms == nil {
		perms = map[string]string{}
	}
	base := s.ts.URL + s.prefix
	acct := s.account(in.Account, in.AccountType)
	var (
		suspendedBy *accountJSON
		suspendedAt *string
	)
	if in.Suspended {
		by, at := s.account("an-owner", "User"), githubTime(in.created)
		suspendedBy, suspendedAt = &by, &at
	}
	return installationJSON{
		ID:                  in.ID,
		Account:             acct,
		RepositorySelection: sel,
		AccessTokensURL:     base + "/app/installations/" + strconv.FormatInt(in.ID, 10) + "/access_tokens",
		RepositoriesURL:     base + "/installation/repositories",
		HTMLURL:             "https://github.com/organizations/" + in.Account + "/settings/installations/" + strconv.FormatInt(in.ID, 10),
		AppID:               in.AppID,
		AppSlug:             appSlug(in.AppID),
		TargetID:            acct.ID,
		TargetType:          in.AccountType,
		Permissions:         perms,
		Events:              []string{},
		CreatedAt:           githubTime(in.created),
		UpdatedAt:           githubTime(in.created),
		SingleFilePaths:     []string{},
		SuspendedBy:         suspendedBy,
		SuspendedAt:         suspendedAt,
	}
}

func appSlug(id int64) string { return "app-" + strconv.FormatInt(id, 10) }

// getApp serves GET /app, the cheap way to check an App JWT.
func (c *call) getApp() reply {
	a := c.who.app
	owner := c.s.account("app-owner", "Organization")
	return jsonReply(http.StatusOK, map[string]any{
		"id":           a.id,
		"slug":         appSlug(a.id),
		"node_id":      "MDM6QXBw" + strconv.FormatInt(a.id, 36),
		"client_id":    a.clientID,
		"owner":        owner,
		"name":         "App " + strconv.FormatInt(a.id, 10),
		"description":  "",
		"external_url": "https://example.com",
		"html_url":     "https://github.com/apps/" + appSlug(a.id),
		"created_at":   githubTime(c.now),
		"updated_at":   githubTime(c.now),
		"permissions":  map[string]string{},
		"events":       []string{},
	})
}

func (c *call) orgInstallation() reply {
	org := c.params[0]
	for _, in := range c.s.sortedInstallations() {
		if in.AppID == c.who.app.id && in.AccountType == "Organization" && strings.EqualFold(in.Account, org) {
			return jsonReply(http.StatusOK, c.s.installationJSON(in))
		}
	}
	return notFound()
}

func (c *call) repoInstallation() reply {
	owner, repo := c.params[0], c.params[1]
	full := owner + "/" + repo
	for _, in := range c.s.sortedInstallations() {
		if in.AppID != c.who.app.id || !strings.EqualFold(in.Account, owner) {
			continue
		}
		if len(in.Repositories) == 0 || slices.ContainsFunc(in.Repositories, func(r string) bool { return strings.EqualFold(r, full) }) {
			return jsonReply(http.StatusOK, c.s.installationJSON(in))
		}
	}
	return notFound()
}

// listInstallations serves GET /app/installations: the calling App's
// installations by id, paged by number (per_page at most 100), with their
// permissions. The since and outdated filters are not implemented; a request
// that uses them is served unfiltered.
func (c *call) listInstallations() reply {
	var mine []*installation
	for _, in := range c.s.sortedInstallations() {
		if in.AppID == c.who.app.id {
			mine = append(mine, in)
		}
	}
	lo, hi, link := c.pageOf(len(mine))
	out := make([]installationJSON, 0, hi-lo)
	for _, in := range mine[lo:hi] {
		out = append(out, c.s.installationJSON(in))
	}
	rep := jsonReply(http.StatusOK, out)
	if link != "" {
		rep.setHeader("Link", link)
	}
	return rep
}

// sortedInstallations returns installations by id, so lookups are
// deterministic when several match.
func (s *Server) sortedInstallations() []*installation {
	out := slices.Collect(maps.Values(s.installations))
	slices.SortFunc(out, func(a, b *installation) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

type repoJSON struct {
	ID       int64       `json:"id"`
	NodeID   string      `json:"node_id"`
	Name     string      `json:"name"`
	FullName string      `json:"full_name"`
	Private  bool        `json:"private"`
	Owner    accountJSON `json:"owner"`
}

// createInstallationToken serves POST /app/installations/{id}/access_tokens.
func (c *call) createInstallationToken() reply {
	s := c.s
	id, rep := c.int64Param(0)
	if rep != nil {
		return *rep
	}
	in := s.installations[id]
	if in == nil || in.AppID != c.who.app.id {
		return notFound()
	}
	if in.Suspended {
		return errorReply(http.StatusForbidden, "This installation has been suspended", "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app")
	}
	var req struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if len(strings.TrimSpace(string(c.body))) > 0 {
		if err := json.Unmarshal(c.body, &req); err != nil {
			return errorReply(http.StatusBadRequest, "Problems parsing JSON", docsURL)
		}
	}

	const notAccessible = "There is at least one repository that does not exist or is not accessible to the parent installation."
	const tokenDocs = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	inInstallation := func(full string) (string, bool) {
		if !strings.EqualFold(strings.SplitN(full, "/", 2)[0], in.Account) {
			return "", false
		}
		if len(in.Repositories) == 0 {
			return full, true // every repository of the account
		}
		i := slices.IndexFunc(in.Repositories, func(r string) bool { return strings.EqualFold(r, full) })
		if i < 0 {
			return "", false
		}
		return in.Repositories[i], true
	}
	var repos []string
	for _, name := range req.Repositories {
		full := name
		if !strings.Contains(name, "/") {
			full = in.Account + "/" + name
		}
		r, ok := inInstallation(full)
		if !ok {
			return errorReply(http.StatusUnprocessableEntity, notAccessible, tokenDocs)
		}
		repos = append(repos, r)
	}
	for _, rid := range req.RepositoryIDs {
		found := ""
		for _, full := range slices.Sorted(maps.Values(s.knownRepos)) {
			if RepoID(full) == rid {
				found = full
				break
			}
		}
		r, ok := inInstallation(found)
		if found == "" || !ok {
			return errorReply(http.StatusUnprocessableEntity, notAccessible, tokenDocs)
		}
		repos = append(repos, r)
	}
	repos = slices.Compact(repos)

	perms := maps.Clone(in.Permissions)
	if len(req.Permissions) > 0 {
		for name, level := range req.Permissions {
			if _, known := levels[level]; !known || levels[in.Permissions[name]] < levels[level] {
				return errorReply(http.StatusUnprocessableEntity, "The permissions requested are not granted to this installation.", tokenDocs)
			}
		}
		perms = maps.Clone(req.Permissions)
	}
	if perms == nil {
		perms = map[string]string{}
	}
	credRepos := repos
	if len(credRepos) == 0 {
		credRepos = slices.Clone(in.Repositories)
	}

	tok := make([]byte, 0, 40)
	tok = append(tok, "ghs_"...)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for range 36 {
		tok = append(tok, alphabet[s.rng.IntN(len(alphabet))])
	}
	expires := c.now.Add(installationTokenLifetime)
	s.tokens[string(tok)] = &credential{
		token: string(tok),
		Credential: Credential{
			Kind:           "installation",
			Permissions:    perms,
			Owners:         []string{in.Account},
			Repos:          credRepos,
			ExpiresAt:      expires,
			InstallationID: in.ID,
		},
	}

	out := map[string]any{
		"token":                string(tok),
		"expires_at":           githubTime(expires),
		"permissions":          perms,
		"repository_selection": "all",
	}
	if len(credRepos) > 0 {
		out["repository_selection"] = "selected"
		rs := make([]repoJSON, 0, len(credRepos))
		for _, full := range credRepos {
			owner, name, _ := strings.Cut(full, "/")
			rid := RepoID(full)
			rs = append(rs, repoJSON{
				ID: rid, NodeID: "R_kgDO" + strconv.FormatInt(rid, 36), Name: name, FullName: full, Private: true,
				Owner: s.account(owner, in.AccountType),
			})
		}
		out["repositories"] = rs
	}
	return jsonReply(http.StatusCreated, out)
}
