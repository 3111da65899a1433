"""One small package per external system (ARCHITECTURE.md § Layout).

Notification channels share one base class, `base.Notifier`; `registry.NOTIFIERS` names them by
channel kind. A new channel (the service desk's ticket sink, a pager) is a package with one
Notifier subclass and one line in the registry.
"""
