package topology

import (
	"math"
	"strings"

	"github.com/labfront/labfront/internal/lab"
)

// The narrow drawing is made for a phone held upright: 360 units wide, so
// a 390 px screen shows it at about one unit to a pixel, and its labels at
// 13 units stay above 11 px down to a 320 px screen. The nodes stand in one
// column, site by site, each guest indented under its host; the links are
// arcs in the gutter left of the column, bulging further the further they
// reach, so no link ever crosses a label (every label is right of the
// column) and no two labels share a row.
const (
	narrowWidth  = 360.0
	narrowFont   = 13.0
	narrowLine   = 16.0 // between the lines of a wrapped label
	narrowRow    = 32.0 // the least height of a node's row
	narrowHead   = 34.0 // a site heading's row
	narrowIndent = 14.0 // per level of parent
	narrowScale  = 0.72 // node outlines, against the wide drawing's
	gutterMin    = 46.0 // the arcs' gutter for a lab with few links
	gutterMax    = 124.0
)

// narrow lays pub out for a phone.
func narrow(pub *lab.Lab) *Layout {
	n := len(pub.Nodes)
	l := &Layout{Width: narrowWidth, FontSize: narrowFont, LineHeight: narrowLine, Nodes: make([]Place, n), Links: make([]Path, len(pub.Links))}
	index := make(map[string]int, n)
	for i, node := range pub.Nodes {
		index[node.ID] = i
	}
	order, depth, groups := columnOrder(pub, index)
	row := make([]int, n) // each node's position in the column
	for r, i := range order {
		row[i] = r
	}
	// The gutter grows with the longest arc it must hold.
	maxDepth, span := 0, 0
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	for _, k := range pub.Links {
		if c, _ := guestOf(pub, index, depth, index[k.From], index[k.To]); c < 0 {
			span = max(span, abs(row[index[k.From]]-row[index[k.To]]))
		}
	}
	gutter := math.Min(gutterMax, gutterMin+4*float64(span))
	spine := gutter + 4
	y := 6.0
	r := 0
	for _, g := range groups {
		if g.title != "" {
			base := y + narrowHead - 11
			tw := labelWidth(len([]rune(g.title)), 11) + 2*halo
			l.Groups = append(l.Groups, Group{
				Title: g.title, X: spine - 4, Y: base,
				Box: Box{spine - 4 - halo, base - ascent*11 - halo, spine - 4 + tw, base + descent*11 + halo},
				X1:  narrowWidth - 4,
			})
			y += narrowHead
		}
		for ; r < g.end; r++ {
			i := order[r]
			p := &l.Nodes[i]
			p.R = radius(&pub.Nodes[i]) * narrowScale
			p.X = spine + float64(depth[i])*narrowIndent
			tx := spine + float64(maxDepth)*narrowIndent + 17*narrowScale + 8
			lines := wrap(pub.Nodes[i].Name, int((narrowWidth-4-halo-tx)/labelWidth(1, narrowFont)))
			h := math.Max(narrowRow, float64(len(lines)-1)*narrowLine+narrowRow)
			p.Y = y + h/2
			first := p.Y - float64(len(lines)-1)*narrowLine/2 + 0.35*narrowFont
			w := 0.0
			for _, ln := range lines {
				w = math.Max(w, labelWidth(len([]rune(ln)), narrowFont))
			}
			p.Label = Label{
				X: tx, Y: first, Anchor: "start", Lines: lines,
				Box: Box{tx - halo, first - ascent*narrowFont - halo, tx + w + halo, first + float64(len(lines)-1)*narrowLine + descent*narrowFont + halo},
			}
			y += h
		}
	}
	l.Height = math.Ceil(y + 6)
	for k, link := range pub.Links {
		from, to := index[link.From], index[link.To]
		a, b := l.Nodes[from], l.Nodes[to]
		if child, host := guestOf(pub, index, depth, from, to); child >= 0 {
			// A guest's link to its host is the tree's own line: down
			// the host's column, then across to the indented guest.
			c, h := l.Nodes[child], l.Nodes[host]
			l.Links[k] = Path{X1: h.X, Y1: h.Y, X2: c.X, Y2: c.Y, Elbow: true}
			continue
		}
		if a.Y > b.Y {
			a, b = b, a
		}
		// The arc's reach grows with its span but stays in the gutter:
		// its leftmost point is 0.75·bend left of the nearer end.
		reach := math.Min(gutter-2, 10+0.35*(b.Y-a.Y))
		l.Links[k] = Path{X1: a.X, Y1: a.Y, X2: b.X, Y2: b.Y, Bend: reach / 0.75}
	}
	return l
}

// guestOf tells whether a link joins a guest to its host one level up in
// the column, and which end is which; -1 when it does not.
func guestOf(pub *lab.Lab, index map[string]int, depth []int, a, b int) (child, host int) {
	for _, c := range [2][2]int{{a, b}, {b, a}} {
		if p, ok := index[pub.Nodes[c[0]].Parent]; ok && p == c[1] && depth[c[0]] == depth[c[1]]+1 {
			return c[0], c[1]
		}
	}
	return -1, -1
}

// group is a run of the column under one heading: rows up to end.
type group struct {
	title string
	end   int
}

// columnOrder is the narrow view's node order: the sites in lab order and
// then the nodes without a site, each node followed by its guests. depth
// is how many hosts a node sits under within its group.
func columnOrder(pub *lab.Lab, index map[string]int) (order, depth []int, groups []group) {
	n := len(pub.Nodes)
	depth = make([]int, n)
	children := make([][]int, n)
	for i, node := range pub.Nodes {
		if p, ok := index[node.Parent]; ok && pub.Nodes[p].Site == node.Site {
			children[p] = append(children[p], i)
		}
	}
	done := make([]bool, n)
	var visit func(i, d int)
	visit = func(i, d int) {
		if done[i] {
			return
		}
		done[i] = true
		depth[i] = d
		order = append(order, i)
		for _, c := range children[i] {
			visit(c, d+1)
		}
	}
	roots := func(site string) {
		for i, node := range pub.Nodes {
			if node.Site != site {
				continue
			}
			if p, ok := index[node.Parent]; ok && pub.Nodes[p].Site == site {
				continue
			}
			visit(i, 0)
		}
		// Guests of a guest cycle would be unreachable from a root: take
		// what is left in lab order so every node is drawn.
		for i, node := range pub.Nodes {
			if node.Site == site {
				visit(i, 0)
			}
		}
	}
	for _, s := range pub.Sites {
		before := len(order)
		roots(s.ID)
		if len(order) > before {
			groups = append(groups, group{title: s.Name, end: len(order)})
		}
	}
	before := len(order)
	roots("")
	if len(order) > before {
		title := "Cloud and edge"
		if len(groups) == 0 {
			title = ""
		}
		groups = append(groups, group{title: title, end: len(order)})
	}
	return order, depth, groups
}

// wrap breaks a name into lines of at most width glyphs, at spaces where
// it can and inside a word that is longer than a line.
func wrap(s string, width int) []string {
	width = max(width, 4)
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for len([]rune(word)) > width {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			w := []rune(word)
			lines = append(lines, string(w[:width]))
			word = string(w[width:])
		}
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
