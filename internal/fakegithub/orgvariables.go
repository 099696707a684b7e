package fakegithub

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Organization Actions variables: GET, POST, PATCH and DELETE
// /orgs/{org}/actions/variables[/{name}]. They need the organization
// permission Variables (organization_actions_variables) of an App or
// fine-grained token, or a classic token's admin:org. Each has a visibility:
// all, private, or selected (only the repositories in
// selected_repository_ids, possibly none, may read it in workflows).

const orgVariablesDocs = "https://docs.github.com/rest/actions/variables#create-an-organization-variable"

// orgVariable is an organization variable: a variable and who may read it.
type orgVariable struct {
	variable
	visibility string
	selected   []int64
}

func orgVariablesNeed(org, level string) need {
	return need{owner: org, perm: "organization_actions_variables", level: level, scopes: []string{"admin:org"}}
}

// orgVars returns an organization's variables, keyed by upper-case name.
func (s *Server) orgVars(org string) map[string]*orgVariable {
	k := strings.ToLower(org)
	vars := s.orgVariables[k]
	if vars == nil {
		vars = make(map[string]*orgVariable)
		s.orgVariables[k] = vars
	}
	return vars
}

// OrgVariable returns an organization's Actions variable and its visibility.
func (s *Server) OrgVariable(org, name string) (value, visibility string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.orgVariables[strings.ToLower(org)][strings.ToUpper(name)]
	if v == nil {
		return "", "", false
	}
	return v.value, v.visibility, true
}

// OrgVariables returns the names of an organization's Actions variables,
// sorted.
func (s *Server) OrgVariables(org string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range s.orgVariables[strings.ToLower(org)] {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (c *call) getOrgVariable() reply {
	org, name := c.params[0], c.params[1]
	if rep := c.authorize(orgVariablesNeed(org, "read")); rep != nil {
		return *rep
	}
	v := c.s.orgVariables[strings.ToLower(org)][strings.ToUpper(name)]
	if v == nil {
		return notFound()
	}
	out := map[string]any{
		"name":       v.name,
		"value":      v.value,
		"created_at": githubTime(v.created),
		"updated_at": githubTime(v.updated),
		"visibility": v.visibility,
	}
	if v.visibility == "selected" {
		out["selected_repositories_url"] = c.s.ts.URL + c.s.prefix + "/orgs/" + org + "/actions/variables/" + v.name + "/repositories"
	}
	return jsonReply(http.StatusOK, out)
}

type orgVariableBody struct {
	Name                  *string `json:"name"`
	Value                 *string `json:"value"`
	Visibility            *string `json:"visibility"`
	SelectedRepositoryIDs []int64 `json:"selected_repository_ids"`
}

// checkVisibility applies GitHub's rules: one of all, private, selected;
// repository ids only with selected.
func checkVisibility(b orgVariableBody, required bool) *reply {
	if b.Visibility == nil {
		if required || len(b.SelectedRepositoryIDs) > 0 {
			rep := validationReply("ActionsVariable", "visibility", "missing_field", orgVariablesDocs)
			return &rep
		}
		return nil
	}
	switch *b.Visibility {
	case "all", "private", "selected":
	default:
		rep := validationReply("ActionsVariable", "visibility", "invalid", orgVariablesDocs)
		return &rep
	}
	if *b.Visibility != "selected" && len(b.SelectedRepositoryIDs) > 0 {
		rep := validationReply("ActionsVariable", "selected_repository_ids", "invalid", orgVariablesDocs)
		return &rep
	}
	return nil
}

func (c *call) createOrgVariable() reply {
	org := c.params[0]
	if rep := c.authorize(orgVariablesNeed(org, "write")); rep != nil {
		return *rep
	}
	var body orgVariableBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return errorReply(http.StatusBadRequest, "Problems parsing JSON", docsURL)
	}
	if body.Name == nil || !validVariableName(*body.Name) {
		return validationReply("ActionsVariable", "name", "invalid", orgVariablesDocs)
	}
	if rep := checkValue(body.Value); rep != nil {
		return *rep
	}
	if rep := checkVisibility(body, true); rep != nil {
		return *rep
	}
	vars := c.s.orgVars(org)
	upper := strings.ToUpper(*body.Name)
	if vars[upper] != nil {
		return errorReply(http.StatusConflict, "Already exists - Variable already exists", orgVariablesDocs)
	}
	vars[upper] = &orgVariable{
		variable:   variable{name: upper, value: *body.Value, created: c.now, updated: c.now},
		visibility: *body.Visibility,
		selected:   slices.Clone(body.SelectedRepositoryIDs),
	}
	return reply{status: http.StatusCreated, body: []byte("{}")}
}

func (c *call) updateOrgVariable() reply {
	org, name := c.params[0], c.params[1]
	if rep := c.authorize(orgVariablesNeed(org, "write")); rep != nil {
		return *rep
	}
	vars := c.s.orgVariables[strings.ToLower(org)]
	v := vars[strings.ToUpper(name)]
	if v == nil {
		return notFound()
	}
	var body orgVariableBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return errorReply(http.StatusBadRequest, "Problems parsing JSON", docsURL)
	}
	if body.Value != nil {
		if rep := checkValue(body.Value); rep != nil {
			return *rep
		}
	}
	if rep := checkVisibility(body, false); rep != nil {
		return *rep
	}
	if body.Name != nil && !strings.EqualFold(*body.Name, v.name) {
		if !validVariableName(*body.Name) {
			return validationReply("ActionsVariable", "name", "invalid", orgVariablesDocs)
		}
		upper := strings.ToUpper(*body.Name)
		if vars[upper] != nil {
			return errorReply(http.StatusConflict, "Already exists - Variable already exists", orgVariablesDocs)
		}
		delete(vars, v.name)
		v.name = upper
		vars[upper] = v
	}
	if body.Value != nil {
		v.value = *body.Value
	}
	if body.Visibility != nil {
		v.visibility, v.selected = *body.Visibility, slices.Clone(body.SelectedRepositoryIDs)
	}
	v.updated = c.now
	return reply{status: http.StatusNoContent}
}

func (c *call) deleteOrgVariable() reply {
	org, name := c.params[0], c.params[1]
	if rep := c.authorize(orgVariablesNeed(org, "write")); rep != nil {
		return *rep
	}
	vars := c.s.orgVariables[strings.ToLower(org)]
	if vars[strings.ToUpper(name)] == nil {
		return notFound()
	}
	delete(vars, strings.ToUpper(name))
	return reply{status: http.StatusNoContent}
}
