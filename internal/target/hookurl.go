package target

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// hookURL is a webhook named by a pasted URL: its id, and the organization
// or the repository the URL says it belongs to.
type hookURL struct {
	id               int64
	org, owner, repo string
}

// parseHookURL reads a webhook's id from the URL of its settings page or of
// its REST API, on github.com, GHE.com or Enterprise Server:
//
//	https://github.com/organizations/octo-org/settings/hooks/123456
//	https://github.com/octo-org/octo-repo/settings/hooks/123456
//	https://api.github.com/orgs/octo-org/hooks/123456
//	https://ghes.example.com/api/v3/repos/octo-org/octo-repo/hooks/123456/deliveries
//
// Whatever follows the id (a path such as /deliveries, a ?tab= query, a
// #fragment) is ignored. It reports false for anything else.
func parseHookURL(s string) (hookURL, bool) {
	u, err := url.Parse(s)
	// A URL with a user or password in it is no page of GitHub's, and may
	// hold a token: it is not read, and the message describes it.
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return hookURL{}, false
	}
	seg := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(seg) >= 2 && seg[0] == "api" && seg[1] == "v3" { // Enterprise Server's REST API
		seg = seg[2:]
	}
	at := func(i int, want string) bool { return i < len(seg) && seg[i] == want }
	var h hookURL
	var idAt int
	switch {
	case at(0, "organizations") && at(2, "settings") && at(3, "hooks"):
		h.org, idAt = seg[1], 4
	case at(0, "orgs") && at(2, "hooks"):
		h.org, idAt = seg[1], 3
	case at(0, "orgs") && at(2, "settings") && at(3, "hooks"): // GitHub's newer /orgs/ pages
		h.org, idAt = seg[1], 4
	case at(0, "repos") && at(3, "hooks"):
		h.owner, h.repo, idAt = seg[1], seg[2], 4
	case at(2, "settings") && at(3, "hooks"):
		h.owner, h.repo, idAt = seg[0], seg[1], 4
	default:
		return hookURL{}, false
	}
	if idAt >= len(seg) {
		return hookURL{}, false
	}
	id, err := strconv.ParseInt(seg[idAt], 10, 64)
	if err != nil || id <= 0 {
		return hookURL{}, false
	}
	h.id = id
	if h.org != "" && !loginRE.MatchString(h.org) || h.org == "" && (!loginRE.MatchString(h.owner) || !repoRE.MatchString(h.repo)) {
		return hookURL{}, false
	}
	return h, true
}

// where names the webhook's owner: "organization acme" or "repository o/r".
func (h hookURL) where() string {
	if h.org != "" {
		return "organization " + h.org
	}
	return "repository " + h.owner + "/" + h.repo
}

// agrees checks the URL against the org and repository inputs (logins and
// names are case-insensitive on GitHub). It returns what contradicts, or "".
func (h hookURL) agrees(org, repository string) string {
	switch {
	case org != "" && h.org != "" && !strings.EqualFold(org, h.org):
		return fmt.Sprintf("is a webhook of organization %s, but org is %s", h.org, org)
	case org != "" && h.org == "":
		return fmt.Sprintf("is a webhook of repository %s/%s, but org is %s (for a repository webhook set repository instead)", h.owner, h.repo, org)
	case repository != "" && h.org != "":
		return fmt.Sprintf("is a webhook of organization %s, but repository is %s (for an organization webhook set org instead)", h.org, repository)
	case repository != "" && !strings.EqualFold(repository, h.owner+"/"+h.repo):
		return fmt.Sprintf("is a webhook of repository %s/%s, but repository is %s", h.owner, h.repo, repository)
	}
	return ""
}
