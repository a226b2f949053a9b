package parse

import "strings"

// Closest returns the candidate nearest to word by edit distance (letter case
// ignored), for a "did you mean ...?" hint; ok is false when none is near enough
// to be a likely typo: at most 2 edits, or a third of word's length.
func Closest(word string, candidates []string) (best string, ok bool) {
	limit := max(2, len(word)/3)
	bestDist := limit + 1
	w := strings.ToLower(word)
	for _, c := range candidates {
		if d := editDistance(w, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist <= limit
}

// editDistance is the Levenshtein distance between a and b, in bytes (the names
// compared are ASCII), with one row of memory.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			diag, row[j] = row[j], min(row[j]+1, row[j-1]+1, diag+cost)
		}
	}
	return row[len(b)]
}
