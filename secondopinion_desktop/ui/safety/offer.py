"""The first start offers to protect the records with a passphrase, once: afterwards Settings › Protect my data
with a passphrase… does it whenever the person wants."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

OFFERED_KEY = "security/protectionOffered"


def offer_protection_once(window: Any) -> QMessageBox | None:
    """Offer once per installation to protect the records now: a question that blocks nothing (the window works
    on while it is shown); Protect opens the set-up dialog. Returns the question, or None when not asked."""
    settings = QSettings()
    if settings.value(OFFERED_KEY, False, type=bool) or window.folder is None or window.folder.encrypted:
        return None
    settings.setValue(OFFERED_KEY, True)
    box = QMessageBox(QMessageBox.Icon.Question, "Protect your records?",
                      "Your records can be protected with a passphrase, so that someone who takes or borrows this "
                      "computer cannot read them. You can do it now, or later from Settings › Protect my data "
                      "with a passphrase….", QMessageBox.StandardButton.NoButton, window)
    box.setObjectName("offerProtection")
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    yes = box.addButton("&Protect my data…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("&Not now", QMessageBox.ButtonRole.RejectRole)

    def answered(button: object) -> None:
        if button is yes:
            from secondopinion_desktop.ui.safety.protect import protect_folder

            protect_folder(window)

    box.buttonClicked.connect(answered)
    box.show()
    return box
