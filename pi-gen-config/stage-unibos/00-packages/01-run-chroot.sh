#!/bin/bash -e
# Node.js 20 or newer from the release's own packages where it has one (trixie: 20.19). Older
# releases (bookworm: 18) get the official build in 01-unibos instead.
candidate="$(apt-cache policy nodejs | awk '/Candidate:/ { print $2 }')"
major="${candidate%%.*}"
major="${major#*:}"
if [ -n "${major}" ] && [ "${major}" != "(none)" ] && [ "${major}" -ge 20 ] 2>/dev/null; then
	apt-get install -y --no-install-recommends nodejs
	echo "nodejs ${candidate} from the release"
else
	echo "the release's nodejs is ${candidate:-missing}: 01-unibos installs the official build"
fi
