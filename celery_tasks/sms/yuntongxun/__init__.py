"""Client of the Yuntongxun (容联云通讯, "CCP") SMS REST API."""

from celery_tasks.sms.yuntongxun.ccp_sms import CCP

__all__ = ["CCP"]
