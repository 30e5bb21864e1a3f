"""Live connections to selling platforms (抖店开放平台): connecting a shop, the incremental order
sync, pushed messages, and telling the platform a parcel left.

The gateway client itself (signing, calls, tokens, errors) is ``adapters.platforms.douyin``;
this package decides what the answers mean for lanshou's orders, shipments and appeals.
"""
