-- Server bot: the countdown's public announcement (its Cancel button is
-- removed once the countdown finishes or is cancelled, also after an
-- appliance restart).
ALTER TABLE countdowns ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
