package web

import (
	"fmt"
	"html/template"
	"strings"
)

// chartPoint is one bar of a chart: a label on the horizontal axis (a day
// or a month) and a count.
type chartPoint struct {
	Label string
	Value int64
}

// chart is a bar chart drawn on the server as SVG, with its data as a
// table beside it for those who do not see the drawing (WCAG 2.2 1.1.1):
// the SVG has role="img", a <title> and a <desc> summarising it, labelled
// axes, and each bar its own <title>. It uses classes only (the
// Content-Security-Policy forbids inline styles). SVG is empty when every
// value is zero: pages then show an empty state instead.
type chart struct {
	ID, Title, Desc string
	XLabel, YLabel  string
	Points          []chartPoint
	Total           int64
	SVG             template.HTML
}

// The drawing's size in SVG user units; CSS scales it to the page.
const (
	chartWidth  = 640
	chartHeight = 260
	chartLeft   = 56 // room for the value labels
	chartBottom = 48 // room for the labels and the axis title
	chartTop    = 12
	chartRight  = 12
)

// newChart draws points as a bar chart. id must be unique on the page.
func newChart(id, title, xLabel, yLabel string, points []chartPoint) chart {
	c := chart{ID: id, Title: title, XLabel: xLabel, YLabel: yLabel, Points: points}
	var top chartPoint
	for _, p := range points {
		c.Total += p.Value
		if p.Value > top.Value {
			top = p
		}
	}
	if c.Total == 0 || len(points) == 0 {
		c.Desc = "No data in this period."
		return c
	}
	unit, on := strings.ToLower(xLabel), "on"
	if len(points) != 1 {
		unit += "s"
	}
	if xLabel == "Month" {
		on = "in"
	}
	if len(points) == 1 {
		c.Desc = fmt.Sprintf("%s: %d in all, %s %s.", title, c.Total, on, points[0].Label)
	} else {
		c.Desc = fmt.Sprintf("%s: %d in all over %d %s, from %s to %s; the highest is %d, %s %s.", title, c.Total, len(points),
			unit, points[0].Label, points[len(points)-1].Label, top.Value, on, top.Label)
	}
	esc := template.HTMLEscapeString
	scale := niceCeiling(top.Value)
	plotW, plotH := float64(chartWidth-chartLeft-chartRight), float64(chartHeight-chartTop-chartBottom)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" xmlns="http://www.w3.org/2000/svg">`,
		chartWidth, chartHeight, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(c.Desc))
	// Horizontal grid lines with their values: 0, ¼, ½, ¾ and the top.
	for i := 0; i <= 4; i++ {
		v := scale * int64(i) / 4
		y := float64(chartTop) + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line class="chart-grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, chartLeft, y, chartWidth-chartRight, y)
		fmt.Fprintf(&b, `<text class="chart-tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(shortNumber(v)))
	}
	slot := plotW / float64(len(points))
	every := (len(points) + 7) / 8 // at most about eight labels
	for i, p := range points {
		h := plotH * float64(p.Value) / float64(scale)
		x := float64(chartLeft) + slot*float64(i) + slot*0.1
		fmt.Fprintf(&b, `<rect class="chart-bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			x, float64(chartTop)+plotH-h, slot*0.8, h, esc(p.Label), p.Value)
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="chart-label" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
				x+slot*0.4, chartHeight-chartBottom+16, esc(p.Label))
		}
	}
	fmt.Fprintf(&b, `<line class="chart-axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, chartLeft, chartHeight-chartBottom, chartWidth-chartRight, chartHeight-chartBottom)
	fmt.Fprintf(&b, `<line class="chart-axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, chartLeft, chartTop, chartLeft, chartHeight-chartBottom)
	fmt.Fprintf(&b, `<text class="chart-axis-title" x="%d" y="%d" text-anchor="middle">%s</text>`, chartLeft+int(plotW)/2, chartHeight-8, esc(xLabel))
	fmt.Fprintf(&b, `<text class="chart-axis-title" x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`,
		chartTop+int(plotH)/2, chartTop+int(plotH)/2, esc(yLabel))
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String()) //nolint:gosec // every text inside is escaped above
	return c
}

// niceCeiling is the top of the value axis: four times the smallest
// step of 1, 2, 2.5 or 5 times a power of ten such that four steps reach
// v, so that the grid lines fall on round numbers.
func niceCeiling(v int64) int64 {
	need := max((v+3)/4, 1)
	for p := int64(1); p < 1e17; p *= 10 {
		for _, step := range []int64{p, 2 * p, 25 * p / 10, 5 * p} {
			if step >= need {
				return 4 * step
			}
		}
	}
	return 4 * need
}

// shortNumber writes n with k or M for thousands and millions.
func shortNumber(n int64) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return fmt.Sprintf("%gM", float64(n)/1e6)
	case n >= 10_000 && n%100 == 0:
		return fmt.Sprintf("%gk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
