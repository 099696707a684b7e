package checkpoint

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
)

// variables is where a Variable keeps its two variables: a repository's
// Actions variables or an organization's. Both take the same requests and
// answer alike; they differ in paths, in who may write them, and in what a
// refusal means.
type variables interface {
	get(ctx context.Context, name string) (*github.ActionsVariable, *github.Response, error)
	create(ctx context.Context, name, value string) (*github.Response, error)
	update(ctx context.Context, name, value string) (*github.Response, error)
	delete(ctx context.Context, name string) (*github.Response, error)
	// explain says which permission a refusal of access ("read",
	// "write") asks for.
	explain(err error, access string) error
	// String names the place: "acme/ops", "organization acme".
	String() string
}

// repoVariables are a repository's Actions variables.
type repoVariables struct {
	client      *github.Client
	owner, repo string
}

func (r repoVariables) String() string { return r.owner + "/" + r.repo }

func (r repoVariables) get(ctx context.Context, name string) (*github.ActionsVariable, *github.Response, error) {
	return r.client.Actions.GetRepoVariable(ctx, r.owner, r.repo, name)
}

func (r repoVariables) create(ctx context.Context, name, value string) (*github.Response, error) {
	return r.client.Actions.CreateRepoVariable(ctx, r.owner, r.repo, &github.ActionsVariable{Name: name, Value: value})
}

func (r repoVariables) update(ctx context.Context, name, value string) (*github.Response, error) {
	return r.client.Actions.UpdateRepoVariable(ctx, r.owner, r.repo, &github.ActionsVariable{Name: name, Value: value})
}

func (r repoVariables) delete(ctx context.Context, name string) (*github.Response, error) {
	return r.client.Actions.DeleteRepoVariable(ctx, r.owner, r.repo, name)
}

func (r repoVariables) explain(err error, access string) error { return explain(err, access) }

// NewOrgVariable returns a store for variable name among organization org's
// own Actions variables: where many targets keep their state, since a
// repository holds at most 500 variables and an organization 1,000 of its
// own. The variables are created visible to no repository ("selected" with
// none selected): a checkpoint is for this action, not for the workflows of
// the organization's repositories, whose vars context it would otherwise
// fill.
func NewOrgVariable(client *github.Client, org, name string) *Variable {
	return &Variable{api: orgVariables{client, org}, name: name}
}

// orgVariables are an organization's Actions variables.
type orgVariables struct {
	client *github.Client
	org    string
}

func (o orgVariables) String() string { return "organization " + o.org }

func (o orgVariables) get(ctx context.Context, name string) (*github.ActionsVariable, *github.Response, error) {
	return o.client.Actions.GetOrgVariable(ctx, o.org, name)
}

func (o orgVariables) create(ctx context.Context, name, value string) (*github.Response, error) {
	return o.client.Actions.CreateOrgVariable(ctx, o.org, &github.ActionsVariable{
		Name: name, Value: value, Visibility: github.String("selected"), SelectedRepositoryIDs: &github.SelectedRepoIDs{},
	})
}

// update leaves the visibility as it is: only the value changes.
func (o orgVariables) update(ctx context.Context, name, value string) (*github.Response, error) {
	return o.client.Actions.UpdateOrgVariable(ctx, o.org, &github.ActionsVariable{Name: name, Value: value})
}

func (o orgVariables) delete(ctx context.Context, name string) (*github.Response, error) {
	return o.client.Actions.DeleteOrgVariable(ctx, o.org, name)
}

func (o orgVariables) explain(err error, access string) error {
	return explainRefusal(err,
		fmt.Sprintf("keeping checkpoints in organization %s's variables needs the organization permission Variables: %s (GitHub App or fine-grained token) or the admin:org scope (classic token)", o.org, access),
		fmt.Sprintf("organization %s does not exist or the token cannot see its variables; it needs the organization permission Variables: %s (GitHub App or fine-grained token) or admin:org (classic), or set checkpoint-store: repository", o.org, access))
}
