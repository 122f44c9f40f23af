"""api/convert"""
