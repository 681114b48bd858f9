#!/bin/sh
# Install the Second Opinion launcher, AppStream metadata and icons for one user (or under PREFIX).
# Usage: packaging/linux/install.sh [PREFIX]     (default PREFIX: ~/.local)
# The `secondopinion` command itself must already be on PATH (pip/pipx install, or the bundled app).
set -eu

PREFIX="${1:-$HOME/.local}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ICONS="$HERE/../../resources/icons/hicolor"
APP_ID="org.secondopinion.SecondOpinion"

install -Dm644 "$HERE/$APP_ID.desktop" "$PREFIX/share/applications/$APP_ID.desktop"
install -Dm644 "$HERE/$APP_ID.metainfo.xml" "$PREFIX/share/metainfo/$APP_ID.metainfo.xml"
for dir in "$ICONS"/*x*; do
    size="$(basename "$dir")"
    install -Dm644 "$dir/apps/$APP_ID.png" "$PREFIX/share/icons/hicolor/$size/apps/$APP_ID.png"
done
install -Dm644 "$HERE/../../resources/icons/secondopinion.svg" \
    "$PREFIX/share/icons/hicolor/scalable/apps/$APP_ID.svg"

# Refresh caches when the tools exist; a missing tool only delays the menu entry until next login.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$PREFIX/share/applications" || true
fi
if [ -f "$PREFIX/share/icons/hicolor/index.theme" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q "$PREFIX/share/icons/hicolor" || true
fi

echo "Installed Second Opinion desktop entry and icons under $PREFIX"
