#!/usr/bin/env bash
# Black-box walk through every Auth row of SPEC with curl against a running server.
# Usage: BASE=http://127.0.0.1:5055 MAIL_LOG=/tmp/smtp.log scripts/auth-walk.sh
# MAIL_LOG is where an SMTP debugging server (python -m aiosmtpd -n -c aiosmtpd.handlers.Debugging)
# writes the mails, so the walk can read the mailed codes. Prints one line per step.
set -uo pipefail
BASE=${BASE:-http://127.0.0.1:5000}
API=$BASE/api/v1
MAIL_LOG=${MAIL_LOG:?set MAIL_LOG to the SMTP debugging server output}
run=$RANDOM
EMAIL="walk$run@example.org" USER="walk$run" PW="a long walk passphrase"
fails=0

step() {  # step EXPECTED_STATUS DESCRIPTION curl-args...
  local expected=$1 what=$2; shift 2
  local out status
  out=$(curl -s -o /tmp/walk-body -w "%{http_code}" "$@")
  status=$out
  if [ "$status" = "$expected" ]; then mark=ok; else mark=FAIL; fails=$((fails + 1)); fi
  printf '%-4s %s %-58s %s\n' "$mark" "$status" "$what" "$(head -c 150 /tmp/walk-body)"
}
json() { python3 -c "import json,sys; print(json.load(open('/tmp/walk-body'))['$1'])"; }
code_for() { sleep "${MAIL_WAIT:-2}"; grep -A40 "To: $1" "$MAIL_LOG" | grep -oE '\b[0-9]{6}\b' | tail -1; }

step 201 "register" -X POST "$API/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"username\":\"$USER\",\"password\":\"$PW\"}"
step 409 "register duplicate" -X POST "$API/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"username\":\"x$USER\",\"password\":\"$PW\"}"
step 422 "register weak password" -X POST "$API/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"w$EMAIL\",\"username\":\"w$USER\",\"password\":\"password123\"}"
step 422 "register role=admin" -X POST "$API/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"r$EMAIL\",\"username\":\"r$USER\",\"password\":\"$PW\",\"role\":\"admin\"}"
step 403 "login before verification (verification on)" -X POST "$API/auth/login" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}"
step 202 "resend-verification (unknown account)" -X POST "$API/auth/resend-verification" \
  -H 'Content-Type: application/json' -d '{"email":"nobody@example.org"}'
step 422 "verify-email wrong code" -X POST "$API/auth/verify-email" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"code\":\"000001\"}"
CODE=$(code_for "$EMAIL")
step 204 "verify-email with mailed code $CODE" -X POST "$API/auth/verify-email" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$EMAIL\",\"code\":\"$CODE\"}"
step 401 "login wrong password" -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"wrong password!\"}"
step 401 "login unknown user (same message)" -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"nobody@example.org","password":"wrong password!"}'
step 200 "login by username" -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$USER\",\"password\":\"$PW\"}"
ACCESS=$(json access_token) REFRESH=$(json refresh_token)
step 200 "GET /auth/me" "$API/auth/me" -H "Authorization: Bearer $ACCESS"
step 401 "GET /auth/me with refresh token" "$API/auth/me" -H "Authorization: Bearer $REFRESH"
step 200 "PATCH /auth/me" -X PATCH "$API/auth/me" -H "Authorization: Bearer $ACCESS" \
  -H 'Content-Type: application/json' -d '{"display_name":"Walker","email_notifications":false}'
step 422 "PATCH /auth/me role" -X PATCH "$API/auth/me" -H "Authorization: Bearer $ACCESS" \
  -H 'Content-Type: application/json' -d '{"role":"admin"}'
step 200 "refresh" -X POST "$API/auth/refresh" -H "Authorization: Bearer $REFRESH"
NEW_ACCESS=$(json access_token) NEW_REFRESH=$(json refresh_token)
step 401 "refresh reuse (revokes the family)" -X POST "$API/auth/refresh" -H "Authorization: Bearer $REFRESH"
step 401 "rotated refresh after reuse" -X POST "$API/auth/refresh" -H "Authorization: Bearer $NEW_REFRESH"
step 401 "access after reuse" "$API/auth/me" -H "Authorization: Bearer $NEW_ACCESS"
step 200 "login again" -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}"
ACCESS=$(json access_token) REFRESH=$(json refresh_token)
step 204 "logout" -X POST "$API/auth/logout" -H "Authorization: Bearer $ACCESS"
step 401 "access after logout" "$API/auth/me" -H "Authorization: Bearer $ACCESS"
step 401 "refresh after logout" -X POST "$API/auth/refresh" -H "Authorization: Bearer $REFRESH"
step 202 "password forgot" -X POST "$API/auth/password/forgot" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\"}"
step 202 "password forgot (unknown)" -X POST "$API/auth/password/forgot" -H 'Content-Type: application/json' \
  -d '{"email":"nobody@example.org"}'
RESET=$(code_for "$EMAIL")
step 204 "password reset with code $RESET" -X POST "$API/auth/password/reset" \
  -H 'Content-Type: application/json' -d "{\"email\":\"$EMAIL\",\"code\":\"$RESET\",\"new_password\":\"another walk passphrase\"}"
step 401 "login old password" -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}"
step 200 "login new password" -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"another walk passphrase\"}"
ACCESS=$(json access_token)
step 403 "GET /users as attendee" "$API/users" -H "Authorization: Bearer $ACCESS"
step 401 "GET /users anonymous" "$API/users"
if [ -n "${ADMIN_LOGIN:-}" ]; then
  step 200 "admin login" -X POST "$API/auth/login" -H 'Content-Type: application/json' -d "$ADMIN_LOGIN"
  ADMIN=$(json access_token)
  step 200 "GET /users?q=walk as admin" "$API/users?q=$USER" -H "Authorization: Bearer $ADMIN"
  UID_=$(python3 -c "import json; print(json.load(open('/tmp/walk-body'))[0]['id'])")
  step 200 "GET /users/{id}" "$API/users/$UID_" -H "Authorization: Bearer $ADMIN"
  step 200 "PATCH /users/{id} role=organizer" -X PATCH "$API/users/$UID_" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' -d '{"role":"organizer"}'
  step 204 "DELETE /users/{id} (deactivate)" -X DELETE "$API/users/$UID_" -H "Authorization: Bearer $ADMIN"
  step 401 "deactivated user's token" "$API/auth/me" -H "Authorization: Bearer $ACCESS"
else
  step 204 "DELETE /auth/me" -X DELETE "$API/auth/me" -H "Authorization: Bearer $ACCESS"
fi
step 400 "malformed JSON" -X POST "$API/auth/login" -H 'Content-Type: application/json' -d '{oops'
step 405 "wrong method" -X DELETE "$API/auth/login"
step 404 "unknown route" "$API/nope"
head -c 1100000 /dev/zero | tr '\0' ' ' > /tmp/walk-big.json
step 413 "body over 1 MiB" -X POST "$API/auth/login" -H 'Content-Type: application/json' --data-binary @/tmp/walk-big.json
for i in $(seq 1 6); do
  curl -s -o /dev/null -X POST "$API/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"limit$run@example.org\",\"password\":\"wrong password!\"}"
done
step 429 "rate limited after 5 failed logins for one account" -X POST "$API/auth/login" \
  -H 'Content-Type: application/json' -d "{\"email\":\"limit$run@example.org\",\"password\":\"wrong password!\"}"
curl -s -D - -o /dev/null -X POST "$API/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"limit$run@example.org\",\"password\":\"x\"}" | grep -i '^retry-after' || { echo "FAIL no Retry-After"; fails=$((fails+1)); }
echo "walk finished: $fails failure(s)"
exit $fails
