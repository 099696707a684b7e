package fakegithub

import (
	"strconv"
	"strings"
)

// pageOf reads page-number pagination (page, per_page) for n items and
// returns the bounds of the page to serve and its Link header ("" for a
// single page), as GitHub writes it for the endpoints that page by number:
// prev, next, last and first, each keeping per_page.
func (c *call) pageOf(n int) (lo, hi int, link string) {
	q := c.r.URL.Query()
	perPage := perPageOf(q)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max((n+perPage-1)/perPage, 1)
	lo = min((page-1)*perPage, n)
	hi = min(lo+perPage, n)

	base := c.s.ts.URL + c.s.prefix
	rel := func(p int, rel string) string {
		return "<" + base + c.path + "?page=" + strconv.Itoa(p) + "&per_page=" + strconv.Itoa(perPage) + `>; rel="` + rel + `"`
	}
	var links []string
	if page > 1 {
		links = append(links, rel(page-1, "prev"))
	}
	if page < last {
		links = append(links, rel(page+1, "next"), rel(last, "last"))
	}
	if page > 1 {
		links = append(links, rel(1, "first"))
	}
	return lo, hi, strings.Join(links, ", ")
}
