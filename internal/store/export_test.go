package store

// SetAfterPeriodSums sets the hook run by ComputePeriodTotals between
// reading a period's sums and writing them.
func SetAfterPeriodSums(f func()) { afterPeriodSums = f }
