package topology

import (
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
)

// ordered is a gonum graph whose node and neighbour iteration follows
// insertion order. gonum's simple graphs iterate maps, which would make the
// random initial positions, and so the layout, differ from run to run.
type ordered struct {
	nodes  []graph.Node
	adj    [][]graph.Node
	has    map[[2]int64]bool
	weight map[[2]int64]float64
}

type vertex int64

func (v vertex) ID() int64 { return int64(v) }

type edge struct{ f, t vertex }

func (e edge) From() graph.Node         { return e.f }
func (e edge) To() graph.Node           { return e.t }
func (e edge) ReversedEdge() graph.Edge { return edge{f: e.t, t: e.f} }

type weightedEdge struct {
	edge
	w float64
}

func (e weightedEdge) Weight() float64 { return e.w }

var _ graph.Weighted = (*ordered)(nil)

func newOrdered(n int) *ordered {
	g := &ordered{nodes: make([]graph.Node, n), adj: make([][]graph.Node, n), has: map[[2]int64]bool{}, weight: map[[2]int64]float64{}}
	for i := range n {
		g.nodes[i] = vertex(i)
	}
	return g
}

// connect adds an undirected edge once; w scales its spring.
func (g *ordered) connect(a, b int, w float64) {
	if a == b || g.has[[2]int64{int64(a), int64(b)}] {
		return
	}
	g.has[[2]int64{int64(a), int64(b)}] = true
	g.has[[2]int64{int64(b), int64(a)}] = true
	g.weight[[2]int64{int64(a), int64(b)}] = w
	g.weight[[2]int64{int64(b), int64(a)}] = w
	g.adj[a] = append(g.adj[a], vertex(b))
	g.adj[b] = append(g.adj[b], vertex(a))
}

func (g *ordered) Node(id int64) graph.Node {
	if id < 0 || id >= int64(len(g.nodes)) {
		return nil
	}
	return g.nodes[id]
}

func (g *ordered) Nodes() graph.Nodes { return iterator.NewOrderedNodes(g.nodes) }

func (g *ordered) From(id int64) graph.Nodes {
	if id < 0 || id >= int64(len(g.adj)) {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(g.adj[id])
}

func (g *ordered) HasEdgeBetween(x, y int64) bool { return g.has[[2]int64{x, y}] }

func (g *ordered) Edge(u, v int64) graph.Edge {
	if !g.has[[2]int64{u, v}] {
		return nil
	}
	return edge{f: vertex(u), t: vertex(v)}
}

// WeightedEdge and Weight make Eades scale each spring by its weight.
func (g *ordered) WeightedEdge(u, v int64) graph.WeightedEdge {
	if !g.has[[2]int64{u, v}] {
		return nil
	}
	return weightedEdge{edge: edge{f: vertex(u), t: vertex(v)}, w: g.weight[[2]int64{u, v}]}
}

func (g *ordered) Weight(x, y int64) (float64, bool) {
	w, ok := g.weight[[2]int64{x, y}]
	return w, ok
}
