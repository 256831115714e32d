// Package jobs runs Bliss's scheduled work with robfig/cron: the hourly save
// parse per server (with bases and decay), chat and log polling, awards and
// donations. Jobs skip when still running, recover from panics, and pause
// while Nitrado is degraded. Like bots, jobs declares the interfaces it needs
// and never imports storage.
package jobs
