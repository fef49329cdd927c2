-- Registration invariants: every figure must be 0 (used by bench/run.py and by hand).
WITH sums AS (
    SELECT e.id, e.capacity, e.seats_taken, e.waitlist_count,
           coalesce(sum(r.quantity) FILTER (WHERE r.status IN ('confirmed', 'offered')), 0) AS seated,
           count(r.id) FILTER (WHERE r.status = 'waitlisted') AS waitlisted,
           coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed'), 0) AS confirmed_seats
    FROM events e LEFT JOIN registrations r ON r.event_id = e.id
    GROUP BY e.id
), tickets_per_registration AS (
    SELECT r.id, r.quantity, r.status, count(t.id) AS tickets
    FROM registrations r LEFT JOIN tickets t ON t.registration_id = r.id
    GROUP BY r.id
)
SELECT
    (SELECT count(*) FROM sums WHERE seats_taken > capacity) AS over_capacity,
    (SELECT count(*) FROM sums WHERE seated > capacity) AS rows_over_capacity,
    (SELECT count(*) FROM sums WHERE seats_taken <> seated) AS seats_counter_off,
    (SELECT count(*) FROM sums WHERE waitlist_count <> waitlisted) AS waitlist_counter_off,
    (SELECT count(*) FROM tickets_per_registration
      WHERE (status = 'confirmed' AND tickets <> quantity) OR (status <> 'confirmed' AND tickets > 0 AND status <> 'cancelled'))
        AS ticket_count_off,
    (SELECT count(*) FROM (SELECT user_id, event_id FROM registrations
      WHERE status IN ('confirmed', 'waitlisted', 'offered') GROUP BY 1, 2 HAVING count(*) > 1) d) AS duplicate_active;
