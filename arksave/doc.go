// Package arksave decodes ARK: Survival Ascended save files: world saves
// (.ark, a SQLite container read through a small row-source interface),
// .arkprofile and .arktribe archives, and the tribe/profile store embedded in
// world saves. It streams rows, classifies them by class name before decoding
// any property, decodes the interesting ones in a capped worker pool and keeps
// only compact domain rows, so memory stays flat as saves grow.
//
// arksave imports only the standard library; the SQLite-backed row source is
// supplied by the caller (see storage/savefile).
package arksave
